/* Tooltips and popups of the maps, built as DOM nodes: data is text, never HTML.

   Leaflet's bindTooltip and bindPopup read a string as HTML, so a kəhriz named
   `<img src=x onerror=…>` would run in every visitor's browser. Everything here goes through
   textContent, and the maps hand Leaflet these nodes (or functions returning them), never a
   string built from data. Plain JavaScript, no build step. */
(function () {
  "use strict";

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text == null ? "" : String(text);
    return node;
  }

  // A date as the page's language writes it ("13 mart 2024", with the month names the server
  // sends in labels.months), with "(approximate)" when the visit that set it has approximate dates.
  function visitDate(iso, approximate, labels) {
    if (!iso) return labels.never;
    var parts = String(iso).split("-").map(Number);
    var months = (labels.months || "").split("|");
    var text = parts.length === 3 && months.length === 12
      ? formatDate(labels.date_format || "j F Y", parts[0], parts[1], parts[2], months)
      : String(iso);
    return approximate ? text + " (" + labels.approximate + ")" : text;
  }

  // A date written with the page's Django DATE_FORMAT ("j E Y" → 13 mart 2024, "N j, Y" → March
  // 13, 2024): the letters a date format uses, a backslash escaping the next character, and any
  // other character as it is. Every month letter is the month's name as the server sent it.
  function formatDate(format, year, month, day, months) {
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    var out = "";
    for (var i = 0; i < format.length; i++) {
      var c = format.charAt(i);
      if (c === "\\") { out += format.charAt(++i); continue; }
      if (c === "j") out += day;
      else if (c === "d") out += two(day);
      else if (c === "n") out += month;
      else if (c === "m") out += two(month);
      else if (c === "Y") out += year;
      else if (c === "y") out += two(year % 100);
      else if ("EFNMb".indexOf(c) >= 0) out += months[month - 1];
      else out += c;
    }
    return out;
  }

  // A measurement as the server's pages write it (floatformat:"-2"): "1,14", "3,20" or "5" in
  // Azerbaijani, with the decimal separator the server sends in labels (browsers' own
  // Azerbaijani number formats are missing in Chromium).
  function decimal(value, labels) {
    if (value == null || value === "") return "";
    var number = Number(value);
    var text = number % 1 === 0 ? String(number) : number.toFixed(2);
    return text.replace(".", (labels && labels.decimal_separator) || ".");
  }

  window.kehrizPopup = {
    element: element,
    decimal: decimal,
    visitDate: visitDate,

    // Content for bindTooltip: a function, so that a node is made only when the tooltip shows.
    text: function (value) {
      return function () { return element("span", "", value); };
    },

    // A popup: the name, a note under it (e.g. that the record is synthetic), a list of
    // (label, value) rows and a link; every string as text.
    content: function (name, rows, href, linkText, note) {
      var box = element("div", "popup");
      box.appendChild(element("strong", "", name));
      if (note) box.appendChild(element("p", "popup-note", note));
      var list = element("dl");
      rows.forEach(function (row) {
        list.appendChild(element("dt", "", row[0]));
        list.appendChild(element("dd", "", row[1]));
      });
      box.appendChild(list);
      if (href) {
        var link = element("a", "popup-link", linkText);
        link.href = href;
        box.appendChild(link);
      }
      return box;
    }
  };
})();
