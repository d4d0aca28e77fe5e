/* The admin's visit page: the outlets of the kəhriz visited and the observers' positions. */
(function () {
  "use strict";

  // Leaflet reads a string as HTML: a kəhriz's name goes in as text (data is text, never HTML).
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  function draw() {
    var node = document.getElementById("visit-map");
    var data = document.getElementById("visit-map-data");
    if (!node || !data || !window.L) return;
    var features = JSON.parse(data.textContent);
    var map = L.map(node, { scrollWheelZoom: false });
    L.tileLayer(node.dataset.tiles, { attribution: node.dataset.attribution, maxZoom: 19 }).addTo(map);
    var bounds = [];
    features.forEach(function (f) {
      var marker = L.circleMarker([f.lat, f.lng], {
        radius: f.kind === "outlet" ? 8 : 5,
        color: "#fff",
        weight: 2,
        fillColor: f.kind === "outlet" ? "#0b6e99" : "#c2410c",
        fillOpacity: 0.9,
        className: "visit-map-" + f.kind,
      }).bindTooltip(textNode(f.name));
      marker.addTo(map);
      bounds.push([f.lat, f.lng]);
    });
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 });
    node.dataset.markers = String(features.length);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
