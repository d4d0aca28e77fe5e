/* The kəhriz page's map: the gallery route, the mother well and the outlet, drawn from GeoJSON
   embedded in the page (no request for data), over the district's boundary. Vector layers are
   drawn whether or not the background tiles load. Plain JavaScript, no build step. */
(function () {
  "use strict";

  var STYLE = {
    route: { color: "#0b6e99", weight: 5, opacity: 0.95 },
    outlet: { radius: 8, color: "#fff", weight: 2, fillColor: "#0b6e99", fillOpacity: 1 },
    mother_well: { radius: 7, color: "#fff", weight: 2, fillColor: "#7a4a12", fillOpacity: 1 },
    village: { radius: 8, color: "#55606a", weight: 2, dashArray: "3 2", fillColor: "#fff", fillOpacity: 0.9 }
  };

  // Leaflet reads a string as HTML: tooltips get a text node (data is text, never HTML).
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  window.kehrizPageMapInit = function (map) {
    var source = document.getElementById("kehriz-geo");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    map.getContainer().setAttribute("aria-label", labels.map || "");

    var district = null;
    if (data.district) {
      district = L.geoJSON(data.district, {
        style: { color: "#0b3d5c", weight: 2, dashArray: "4 3", fill: true, fillOpacity: 0.04 },
        interactive: false
      }).addTo(map);
    }

    var features = L.geoJSON(data.features, {
      style: function (feature) { return STYLE[feature.properties.kind] || STYLE.route; },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, STYLE[feature.properties.kind] || STYLE.outlet);
      },
      onEachFeature: function (feature, layer) {
        var label = labels[feature.properties.kind];
        if (label) layer.bindTooltip(textNode(label), { direction: "top", offset: [0, -6] });
      }
    }).addTo(map);

    // Points above the line, the outlet on top.
    features.eachLayer(function (layer) {
      if (layer.feature.properties.kind === "outlet" && layer.bringToFront) layer.bringToFront();
    });

    var bounds = features.getBounds();
    if (bounds.isValid()) {
      // A lone point (an outlet, a village) is shown with some of its surroundings.
      var lone = data.features.features.length === 1;
      map.fitBounds(bounds, { padding: [28, 28], maxZoom: lone ? 13 : 15 });
    } else if (district && district.getBounds().isValid()) {
      map.fitBounds(district.getBounds(), { padding: [8, 8] });
    }
    document.body.dataset.mapFeatures = String(data.features.features.length);
    window.kehrizPageMap = map;
  };
})();
