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
  var map, clusters, boundaries, routes, markersRequest = 0;

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
      [labels.last_visit, p.visited || labels.never],
      [labels.last_discharge, p.lps == null ? "—" : p.lps + " " + labels.lps]
    ];
    var href = config.kehrizUrl.replace("/0/", "/" + encodeURIComponent(feature.id) + "/");
    return dom.content(p.name, rows, href, labels.open);
  }

  function marker(feature, latlng) {
    var status = statuses[feature.properties.status] || { colour: "#555" };
    var m = L.circleMarker(latlng, {
      radius: 8, color: "#fff", weight: 2, fillColor: status.colour, fillOpacity: 0.95
    });
    m.feature = feature;
    m.bindPopup(function () { return popupContent(feature); });
    m.bindTooltip(dom.text(feature.properties.name));
    m.on("add", function () { reachableByKeyboard(m, feature.properties.name); });
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
        if (!collection.features.length && !collection.unmapped) {
          var all = dom.element("a", "", labels.all);
          all.href = "?status=";
          statusLine.append(labels.none + " ", all);
        }
        loadRoutes();
      })
      .catch(function () { if (request === markersRequest) say(labels.failed); });
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

  function loadBoundaries() {
    return fetch(config.boundaries, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (collection) {
        if (!collection) return;
        boundaries.addData(collection);
        if (!location.search || !map._kehrizMoved) {
          var bounds = boundaries.getBounds();
          if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
        }
      })
      .catch(function () {});
  }

  function legend() {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      div.appendChild(dom.element("strong", "", labels.legend));
      var list = dom.element("ul");
      config.statuses.forEach(function (s) {
        var item = dom.element("li");
        var dot = dom.element("span", "dot");
        dot.style.background = s.colour;
        item.append(dot, s.label);
        list.appendChild(item);
      });
      div.appendChild(list);
      return div;
    };
    return control;
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
    loadMarkers();
  }

  // On a phone the filters start folded, so the map is the first thing seen.
  if (window.matchMedia("(max-width: 700px)").matches && !location.search) {
    form.querySelector("details").open = false;
  }

  window.kehrizMapInit = function (leafletMap) {
    map = leafletMap;
    clusters = L.markerClusterGroup({ chunkedLoading: true, disableClusteringAtZoom: 13, showCoverageOnHover: false });
    boundaries = L.geoJSON(null, {
      style: { color: "#0b3d5c", weight: 2, fill: true, fillOpacity: 0.04, dashArray: "4 3" },
      interactive: false
    });
    routes = L.geoJSON(null, { style: { color: "#0b6e99", weight: 3, opacity: 0.9 }, interactive: false });
    boundaries.addTo(map);
    routes.addTo(map);
    clusters.addTo(map);
    legend().addTo(map);
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
