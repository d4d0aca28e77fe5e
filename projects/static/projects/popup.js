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
      ? parts[2] + " " + months[parts[1] - 1] + " " + parts[0]
      : String(iso);
    return approximate ? text + " (" + labels.approximate + ")" : text;
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
