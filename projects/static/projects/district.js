/* The district page's map: the district boundary and every kəhriz of the district, coloured by
   restoration status (all statuses). Plain JavaScript, no build step; canvas markers so that
   thousands stay fast. The project page uses it too, with its districts' boundaries embedded in
   the config (boundaryData) instead of a boundaries URL. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("district-config").textContent);
  var labels = config.labels;
  var statuses = {};
  config.statuses.forEach(function (s) { statuses[s.value] = s; });
  var functionalities = {};
  config.functionalities.forEach(function (f) { functionalities[f.value] = f; });
  var statusLine = document.getElementById("map-status");

  function say(text) { statusLine.textContent = text || ""; }

  var dom = window.kehrizPopup;

  function popupContent(feature) {
    var p = feature.properties;
    var status = statuses[p.status] || { label: p.status };
    var functionality = functionalities[p.functionality] || { label: p.functionality };
    var rows = [
      [labels.village, p.village || "—"],
      [labels.status, status.label],
      [labels.functionality, functionality.label],
      [labels.last_visit, dom.visitDate(p.visited, p.visited_approximate, labels)],
      [labels.last_discharge, p.lps == null ? "—" : dom.decimal(p.lps, labels) + " " + labels.lps]
    ];
    var href = config.kehrizUrl.replace("/0/", "/" + encodeURIComponent(feature.id) + "/");
    return dom.content(p.name, rows, href, labels.open, p.is_synthetic ? labels.synthetic_record : null);
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
  }

  window.districtMapInit = function (map) {
    var renderer = L.canvas({ padding: 0.5 });
    var boundary = L.geoJSON(null, {
      style: { color: "#0b3d5c", weight: 2, fill: true, fillOpacity: 0.04, dashArray: "4 3" },
      interactive: false
    }).addTo(map);
    var markers = L.featureGroup().addTo(map);
    map.attributionControl.addAttribution("Boundaries © OpenStreetMap contributors (ODbL)");

    function fit() {
      var bounds = boundary.getBounds();
      if (markers.getLayers().length) {
        bounds = bounds.isValid() ? bounds.extend(markers.getBounds()) : markers.getBounds();
      }
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10], maxZoom: 13 });
    }

    var loadBoundary = (config.boundaryData ? Promise.resolve(config.boundaryData) : getJson(config.boundaries))
      .then(function (collection) { boundary.addData(collection); })
      .catch(function () { /* the markers still show */ });

    var loadMarkers = Promise.resolve();
    if (config.layer) {
      say(labels.loading);
      loadMarkers = getJson(config.layer)
        .then(function (collection) {
          collection.features.forEach(function (feature) {
            var c = feature.geometry.coordinates;
            var status = statuses[feature.properties.status] || { colour: "#555" };
            // A synthetic demo record: a dark dashed outline, as on the home map.
            var synthetic = feature.properties.is_synthetic;
            L.circleMarker(L.latLng(c[1], c[0]), {
              renderer: renderer, radius: 7, color: synthetic ? "#1b1b1b" : "#fff", weight: 1.5,
              dashArray: synthetic ? "3 2" : null, fillColor: status.colour, fillOpacity: 0.95
            })
              .bindPopup(function () { return popupContent(feature); })
              .bindTooltip(dom.text(feature.properties.name))
              .addTo(markers);
          });
          document.body.dataset.markers = String(collection.features.length);
          var unmapped = collection.unmapped ? collection.unmapped + " " + labels.unmapped : "";
          say(unmapped || (collection.features.length ? "" : labels.none));
        })
        .catch(function () { say(labels.failed); });
    }
    Promise.all([loadBoundary, loadMarkers]).then(fit);
    window.districtMap = map;
  };
})();
