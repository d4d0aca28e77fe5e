/* The district map: boundaries, kəhriz markers coloured by status (clustered when zoomed out),
   gallery routes when zoomed in, and filters kept in the URL. Plain JavaScript, no build step. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var labels = config.labels;
  var statuses = {};
  config.statuses.forEach(function (s) { statuses[s.value] = s; });
  var functionalities = {};
  config.functionalities.forEach(function (f) { functionalities[f.value] = f; });

  var form = document.getElementById("filters");
  var statusLine = document.getElementById("map-status");
  var countLine = document.getElementById("shown-count");
  var syntheticBanner = document.getElementById("synthetic-banner");
  var map, clusters, boundaries, routes, legendControl, markersRequest = 0;
  // Set when the reader changes a filter: the markers that come back are then what the map shows.
  var fitToResults = false;
  var firstViewDone = false;
  var small = window.matchMedia("(max-width: 700px)");

  // "%(count)s" in a translated sentence, replaced by a number.
  function counted(text, count) { return text.replace("%(count)s", String(Number(count))); }


  function currentQuery() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "") params.append(key, value);
    });
    return params;
  }

  function pageQuery() {
    var params = currentQuery();
    params.delete("in_bbox");
    // No status ticked means "any status": say so in the URL, so that the page's default
    // (restored and handed over) does not come back on reload.
    if (!params.has("status")) params.append("status", "");
    return params;
  }

  var dom = window.kehrizPopup;

  function popupContent(feature) {
    var p = feature.properties;
    var status = statuses[p.status] || { label: p.status };
    var functionality = functionalities[p.functionality] || { label: p.functionality };
    var district = config.districts[p.district] || p.district || "";
    var rows = [
      [labels.village, p.village || "—"],
      [labels.district, district],
      [labels.status, status.label],
      [labels.functionality, functionality.label],
      [labels.last_visit, dom.visitDate(p.visited, p.visited_approximate, labels)],
      [labels.last_discharge, p.lps == null ? "—" : dom.decimal(p.lps, labels) + " " + labels.lps]
    ];
    var href = config.kehrizUrl.replace("/0/", "/" + encodeURIComponent(feature.id) + "/");
    return dom.content(p.name, rows, href, labels.open, p.is_synthetic ? labels.synthetic_record : null);
  }

  function marker(feature, latlng) {
    var status = statuses[feature.properties.status] || { colour: "#555" };
    var synthetic = feature.properties.is_synthetic;
    // A synthetic demo record has a dark dashed outline instead of the white one.
    var m = L.circleMarker(latlng, synthetic ? {
      radius: 8, color: "#1b1b1b", weight: 2, dashArray: "3 2", fillColor: status.colour, fillOpacity: 0.8,
      className: "synthetic-marker"
    } : {
      radius: 8, color: "#fff", weight: 2, fillColor: status.colour, fillOpacity: 0.95
    });
    var name = synthetic ? feature.properties.name + " (" + labels.synthetic + ")" : feature.properties.name;
    m.feature = feature;
    m.bindPopup(function () { return popupContent(feature); });
    m.bindTooltip(dom.text(name));
    m.on("add", function () { reachableByKeyboard(m, name); });
    // The popup keeps its element between openings: one Escape handler for it is enough.
    m.once("popupopen", function (event) {
      event.popup.getElement().addEventListener("keydown", function (e) {
        if (e.key !== "Escape" || !m.keyboardElement) return;
        m.closePopup();
        m.keyboardElement.focus();
      });
    });
    return m;
  }

  // A marker is a button in the tab order: Enter or Space opens its popup and moves to its link;
  // Escape closes it and goes back to the marker. (Leaflet does this for icon markers, not for
  // the circles drawn here.) The cluster drawing a marker again makes a new element each time.
  function reachableByKeyboard(m, name) {
    var element = m.getElement && m.getElement();
    if (!element) return;
    element.setAttribute("tabindex", "0");
    element.setAttribute("role", "button");
    element.setAttribute("aria-label", name);
    m.keyboardElement = element;
    element.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      m.openPopup();
      var popup = m.getPopup().getElement();
      var link = popup && popup.querySelector("a.popup-link");
      if (link) link.focus();
    });
  }

  function shownText(collection) {
    var text = collection.features.length + " " + labels.shown;
    if (collection.unmapped) text += "; " + collection.unmapped + " " + labels.unmapped;
    return "(" + text + ")";
  }

  function say(text) { statusLine.textContent = text || ""; }

  function loadMarkers() {
    var request = ++markersRequest;
    var query = currentQuery();
    say(labels.loading);
    return fetch(config.layer + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (collection) {
        if (request !== markersRequest) return;  // a newer filter won
        clusters.clearLayers();
        var layers = collection.features.map(function (f) {
          var c = f.geometry.coordinates;
          return marker(f, L.latLng(c[1], c[0]));
        });
        clusters.addLayers(layers);
        countLine.textContent = shownText(collection);
        document.body.dataset.markers = String(collection.features.length);
        say("");
        showSynthetic(collection.features.filter(function (f) { return f.properties.is_synthetic; }).length);
        if (collection.hidden_by_status) {
          // The status filter (by default: restored and handed over) hides kəhriz: say how many,
          // with a link to every status.
          var all = dom.element("a", "", labels.all);
          var every = pageQuery();
          every.delete("status");
          every.append("status", "");
          all.href = "?" + every.toString();
          all.addEventListener("click", function (event) {
            event.preventDefault();
            form.querySelectorAll("input[name=status][type=checkbox]").forEach(function (box) { box.checked = false; });
            onFilterChange();
          });
          statusLine.append(counted(labels.hidden_by_status, collection.hidden_by_status) + " ", all);
        } else if (!collection.features.length && !collection.unmapped) {
          var start = dom.element("a", "", labels.all);
          start.href = "?status=";
          statusLine.append(labels.none + " ", start);
        }
        firstViewDone = true;
        if (fitToResults && layers.length) {
          fitToResults = false;
          map.fitBounds(clusters.getBounds(), { padding: [30, 30], maxZoom: 12 });
        }
        loadRoutes();
      })
      .catch(function () { if (request === markersRequest) say(labels.failed); });
  }

  function showSynthetic(count) {
    var hadBanner = !syntheticBanner.hidden;
    syntheticBanner.hidden = !count;
    syntheticBanner.textContent = count ? counted(labels.synthetic_banner, count) : "";
    if (legendControl) legendControl.getContainer().classList.toggle("with-synthetic", count > 0);
    if (hadBanner === !syntheticBanner.hidden) return;
    map.invalidateSize();
    // The banner took (or gave back) room: on the first view, fit the districts again.
    if (!firstViewDone) fitBoundaries();
  }

  function loadRoutes() {
    routes.clearLayers();
    if (map.getZoom() < config.routesMinZoom) return;
    var b = map.getBounds();
    var query = currentQuery();
    query.set("in_bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (n) { return Math.max(-180, Math.min(180, n)).toFixed(5); }).join(","));
    fetch(config.routes + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (collection) { if (collection) routes.addData(collection); })
      .catch(function () { /* routes are a nicety: markers are already shown */ });
  }

  function fitBoundaries() {
    var bounds = boundaries.getBounds();
    // No animation: the first view is simply there (and the markers come after it).
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10], animate: false });
  }

  function loadBoundaries() {
    return fetch(config.boundaries, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (collection) {
        if (!collection) return;
        boundaries.addData(collection);
        if (!location.search || !map._kehrizMoved) fitBoundaries();
      })
      .catch(function () {});
  }

  // The legend folds to a button (folded from the start on a phone, where it would cover the
  // markers of the districts' south-east corner and take their taps).
  function legend() {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      var toggle = dom.element("button", "legend-toggle", labels.legend);
      toggle.type = "button";
      toggle.setAttribute("aria-controls", "map-legend-list");
      var list = dom.element("ul");
      list.id = "map-legend-list";
      config.statuses.forEach(function (s) {
        var item = dom.element("li");
        var dot = dom.element("span", "dot");
        dot.style.background = s.colour;
        item.append(dot, s.label);
        list.appendChild(item);
      });
      var synthetic = dom.element("li", "legend-synthetic");
      synthetic.append(dom.element("span", "dot synthetic"), labels.synthetic);
      list.appendChild(synthetic);
      function setOpen(open) {
        toggle.setAttribute("aria-expanded", String(open));
        list.hidden = !open;
        div.classList.toggle("folded", !open);
      }
      setOpen(!small.matches);
      toggle.addEventListener("click", function () { setOpen(list.hidden); });
      div.append(toggle, list);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    return control;
  }

  // Clusters in a neutral grey, whatever their content: markercluster's green, yellow and orange
  // would read as statuses. The icon is built as DOM from a number, never from data as HTML.
  function clusterIcon(cluster) {
    var count = Number(cluster.getChildCount());
    var size = count < 10 ? 34 : count < 100 ? 40 : 46;
    var icon = dom.element("div", "cluster-icon");
    icon.appendChild(dom.element("span", "", String(count)));
    return L.divIcon({ html: icon, className: "kehriz-cluster", iconSize: L.point(size, size) });
  }

  function updateDownloads() {
    var query = pageQuery().toString();
    document.querySelectorAll("a.download").forEach(function (link) {
      link.href = link.href.split("?")[0] + "?" + query;
    });
  }

  function onFilterChange() {
    var url = location.pathname + "?" + pageQuery().toString();
    history.replaceState(null, "", url);
    // The header's language switch comes back to this URL, filters included.
    var next = document.querySelector("form.language input[name=next]");
    if (next) next.value = url;
    updateDownloads();
    fitToResults = true;
    loadMarkers();
  }

  // On a phone the filters start folded (and sit below the map), so the map is what is seen.
  if (small.matches) form.querySelector("details").open = false;

  window.kehrizMapInit = function (leafletMap) {
    map = leafletMap;
    clusters = L.markerClusterGroup({
      chunkedLoading: true, disableClusteringAtZoom: 13, showCoverageOnHover: false, iconCreateFunction: clusterIcon
    });
    boundaries = L.geoJSON(null, {
      style: { color: "#0b3d5c", weight: 2, fill: true, fillOpacity: 0.04, dashArray: "4 3" },
      interactive: false
    });
    routes = L.geoJSON(null, { style: { color: "#0b6e99", weight: 3, opacity: 0.9 }, interactive: false });
    boundaries.addTo(map);
    routes.addTo(map);
    clusters.addTo(map);
    legendControl = legend().addTo(map);
    map.attributionControl.addAttribution("Boundaries © OpenStreetMap contributors (ODbL)");
    map.on("movestart", function () { map._kehrizMoved = true; });
    map.on("moveend", loadRoutes);
    // Boundaries first: they set the view, so markers (and any popup opened on them) are not
    // re-clustered by a late zoom.
    loadBoundaries().then(loadMarkers);
    form.addEventListener("change", onFilterChange);
    var typing;
    form.q.addEventListener("input", function () {
      clearTimeout(typing);
      typing = setTimeout(onFilterChange, 400);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      onFilterChange();
    });
    window.kehrizMap = map;
  };
})();
