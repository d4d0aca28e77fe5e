/* The field app's map: the officer's position among their districts' kəhriz and boundaries,
 * drawn from what the phone keeps (the kəhriz list and /field/districts.json, both kept by the
 * service worker), so that it works without signal. Background tiles come from the site's tile
 * server; the ones the officer has viewed are kept on the phone (tiles-sw.js). Tapping a kəhriz
 * shows its name and a button that starts its observation.
 *
 * Leaflet (django-leaflet's copy, kept by the service worker) is loaded the first time the map is
 * opened. Nothing runs at import: field.js calls `wireMap` once. Every name from the data goes
 * into the page as text, never as HTML. */

let leafletLoading = null;

/* Leaflet's script and style, added to the page once (the same files the service worker keeps). */
export function loadLeaflet(files, extraCss) {
  if (window.L && window.L.map) return Promise.resolve(window.L);
  if (leafletLoading) return leafletLoading;
  [files.css, extraCss].filter(Boolean).forEach((href) => {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  });
  leafletLoading = new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = files.js;
    script.onload = () => resolve(window.L);
    script.onerror = () => { leafletLoading = null; reject(new Error("leaflet")); };
    document.head.appendChild(script);
  });
  return leafletLoading;
}

/* The kəhriz that can be drawn (a known outlet), as [lat, lon] with the record. */
export function placedKehriz(list) {
  return list.filter((k) => typeof k.lat === "number" && typeof k.lon === "number")
    .map((k) => ({ latlng: [k.lat, k.lon], kehriz: k }));
}

function text(tag, className, value) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = value;
  return node;
}

function fmt(template, params) {
  return String(template).replace(/%\((\w+)\)s/g, (_, key) => (params[key] !== undefined ? params[key] : ""));
}

/* A kəhriz's popup: its name, code and place, and the button that starts its observation. */
function popupNode(k, districtName, labels, onStart) {
  const box = document.createElement("div");
  box.className = "field-map-popup";
  box.appendChild(text("strong", "name", k.name));
  const where = [k.code, k.village, districtName].filter(Boolean).join(" · ");
  if (where) box.appendChild(text("p", "where", where));
  const button = text("button", "primary start-observation", labels.start);
  button.type = "button";
  button.dataset.kehriz = String(k.id);
  button.addEventListener("click", () => onStart(k));
  box.appendChild(button);
  return box;
}

/* Draw the map in `container` (once; later calls redraw the data). `data()` gives the kept
 * {kehriz, districts}; `onStart(k)` starts an observation of kəhriz `k`. */
export function createFieldMap(container, status, config, onStart) {
  const labels = config.labels;
  let map = null;
  let kehrizLayer = null;
  let boundaryLayer = null;
  let me = null;
  let watch = null;
  let fitted = false;

  function say(message) { status.textContent = message || ""; }

  function loadBoundaries() {
    return fetch(config.districts, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null);
  }

  function drawKehriz(L, data) {
    if (kehrizLayer) kehrizLayer.remove();
    kehrizLayer = L.featureGroup();
    const placed = placedKehriz(data.kehriz || []);
    placed.forEach(({ latlng, kehriz }) => {
      const marker = L.marker(latlng, {
        title: kehriz.name,
        alt: kehriz.name,
        keyboard: true,
        icon: L.divIcon({ className: "field-map-kehriz state-" + kehriz.functionality, iconSize: [30, 30] }),
      });
      marker.bindPopup(() => popupNode(kehriz, (data.districts || {})[kehriz.district], labels, onStart));
      marker.addTo(kehrizLayer);
    });
    kehrizLayer.addTo(map);
    container.dataset.kehriz = String(placed.length);
    say(placed.length ? fmt(labels.count, { count: placed.length }) : labels.noKehriz);
    return placed.length;
  }

  function drawBoundaries(L, geojson) {
    if (boundaryLayer) boundaryLayer.remove();
    if (!geojson) return;
    boundaryLayer = L.geoJSON(geojson, {
      interactive: false,
      style: { className: "field-map-district", color: "#0b6e99", weight: 2, fill: true, fillOpacity: 0.04 },
    }).addTo(map);
    boundaryLayer.bringToBack();
    container.dataset.districts = String(geojson.features.length);
  }

  function fit() {
    const bounds = window.L.latLngBounds([]);
    if (kehrizLayer && kehrizLayer.getLayers().length) bounds.extend(kehrizLayer.getBounds());
    else if (boundaryLayer) bounds.extend(boundaryLayer.getBounds());
    if (me) bounds.extend(me.getLatLng());
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14, animate: false });
    else map.setView([40.3, 47.6], 7);
  }

  function follow(L) {
    if (watch !== null || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition((found) => {
      const latlng = [found.coords.latitude, found.coords.longitude];
      const accuracy = Math.round(found.coords.accuracy);
      if (!me) {
        // Above the kəhriz (the officer often stands at one), below the popups.
        if (!map.getPane("fieldPosition")) map.createPane("fieldPosition").style.zIndex = 650;
        me = L.circleMarker(latlng, {
          pane: "fieldPosition", radius: 8, color: "#fff", weight: 3, fillColor: "#1a73e8", fillOpacity: 1, interactive: false,
        });
        me.addTo(map);
      } else {
        me.setLatLng(latlng);
      }
      container.dataset.position = latlng.join(",");
      container.title = fmt(labels.you, { accuracy: accuracy });
      if (!fitted) { fitted = true; fit(); }
    }, () => {}, { enableHighAccuracy: true, maximumAge: 30000, timeout: 30000 });
  }

  return {
    /* Open (or refresh) the map with the kept data. Resolves once the kəhriz are drawn. */
    show(data) {
      return loadLeaflet(config.leaflet, config.css).then((L) => {
        if (!map) {
          map = L.map(container, { zoomControl: true, tap: true });
          const tiles = L.tileLayer(config.tiles.url, {
            attribution: config.tiles.attribution,
            maxZoom: config.tiles.maxZoom || 18,
          });
          let failed = 0;
          tiles.on("tileerror", () => { failed += 1; if (failed === 1 && !navigator.onLine) say(labels.offlineTiles); });
          tiles.addTo(map);
        }
        map.invalidateSize();
        const count = drawKehriz(L, data);
        fit();
        follow(L);
        return loadBoundaries().then((geojson) => {
          drawBoundaries(L, geojson);
          if (!count) fit();
          container.dataset.ready = "1";
        });
      }, () => {
        say(labels.failed);
        container.dataset.ready = "failed";
      });
    },
    close() {
      if (watch !== null && navigator.geolocation) navigator.geolocation.clearWatch(watch);
      watch = null;
      if (map) map.closePopup();
    },
  };
}

/* The map's buttons: "Map" on the home view (a kəhriz tapped there starts a new visit with its
 * observation) and in the kəhriz picker (added to the visit being recorded); "Back".
 * `app` is {config, show(viewId), data() → {kehriz, districts}, start(kehriz, inVisit)}. */
export function wireMap(app) {
  const container = document.getElementById("field-map");
  const status = document.getElementById("field-map-status");
  let inVisit = false;
  let back = "home-view";
  const fieldMap = createFieldMap(container, status, app.config, (k) => {
    fieldMap.close();
    app.start(k, inVisit);
  });
  function open(fromPicker) {
    inVisit = fromPicker;
    back = fromPicker ? "picker-view" : "home-view";
    app.show("map-view");
    return fieldMap.show(app.data());
  }
  document.getElementById("open-map").addEventListener("click", () => open(false));
  document.getElementById("picker-map").addEventListener("click", () => open(true));
  document.getElementById("close-map").addEventListener("click", () => {
    fieldMap.close();
    app.show(back);
  });
  return { open: open };
}
