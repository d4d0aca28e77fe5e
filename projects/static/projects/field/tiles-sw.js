/* The service worker's part for the field app's map (map.js), added after sw.js by
 * projects/views/field.py with `self.FIELD_SW.map` = {tiles: the tile URL template, tilesKept,
 * districts: the boundaries' URL}.
 *
 * - Map tiles from the configured tile server: kept on the phone once viewed, at most `tilesKept`
 *   of them (the oldest go first), and served from there (fetched again when older than 30
 *   days and the network answers). They are fetched with CORS so that the phone knows their
 *   size and they are not counted as opaque (which browsers pad to megabytes each, eating the
 *   space the queued visits need); a tile server without CORS still shows its tiles online, but
 *   they are not kept.
 * - The district boundaries: from the network when it answers within 6 s (and kept), else the
 *   copy kept; fetched at install so that the map works offline from the first day.
 * Both live in caches of their own, which a new version of the app keeps. */
(function () {
  "use strict";

  var MAP = self.FIELD_SW && self.FIELD_SW.map;
  if (!MAP) return;
  var TILES = "kehriz-map-tiles";
  var DATA = "kehriz-map-data";
  var MAX_AGE_MS = 30 * 24 * 3600 * 1000;
  var TIMEOUT_MS = 6000;

  function escape(text) { return text.replace(/[.*+?^$()|[\]\\]/g, "\\$&"); }

  /* "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png" → a RegExp matching its tiles. */
  function tilePattern(template) {
    var parts = template.split(/(\{[a-z]+\})/);
    return new RegExp("^" + parts.map(function (part) {
      if (part === "{s}") return "[a-z0-9-]+";
      if (part === "{z}" || part === "{x}" || part === "{y}") return "-?\\d+";
      if (part === "{r}") return "(@2x)?";
      if (/^\{[a-z]+\}$/.test(part)) return "[^/?#]*";
      return escape(part);
    }).join("") + "$");
  }

  var isTile = (function () {
    var pattern = tilePattern(MAP.tiles);
    return function (url) { return pattern.test(url); };
  })();

  function trim(cache) {
    return cache.keys().then(function (keys) {
      var extra = keys.length - MAP.tilesKept;
      if (extra <= 0) return;
      return Promise.all(keys.slice(0, extra).map(function (key) { return cache.delete(key); }));
    });
  }

  function fresh(response) {
    var date = Date.parse(response.headers.get("date") || "");
    return !date || Date.now() - date < MAX_AGE_MS;
  }

  function tile(request) {
    var url = request.url;
    return caches.open(TILES).then(function (cache) {
      return cache.match(url).then(function (kept) {
        if (kept && fresh(kept)) return kept;
        return fetch(url, { mode: "cors", credentials: "omit" }).then(function (response) {
          if (!response.ok) return kept || response;
          var copy = response.clone();
          cache.put(url, copy).then(function () { return trim(cache); }).catch(function () {});
          return response;
        }, function () {
          if (kept) return kept;
          // No CORS from this tile server (or no signal): show the tile as it comes, unkept.
          return fetch(request);
        });
      });
    });
  }

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(function (value) { clearTimeout(timer); resolve(value); },
                   function (error) { clearTimeout(timer); reject(error); });
    });
  }

  function keep(url, response) {
    if (!response.ok || response.redirected) return;
    var copy = response.clone();
    return caches.open(DATA).then(function (cache) { return cache.put(url, copy); });
  }

  function boundaries(request) {
    var fromNetwork = fetch(request).then(function (response) {
      keep(MAP.districts, response);
      return response;
    });
    return withTimeout(fromNetwork, TIMEOUT_MS).catch(function () {
      return caches.open(DATA).then(function (cache) { return cache.match(MAP.districts); }).then(function (kept) {
        return kept || fromNetwork;
      });
    });
  }

  self.addEventListener("install", function (event) {
    // Never holds up the install: without signal the map waits for the next visit online.
    event.waitUntil(fetch(MAP.districts, { credentials: "same-origin" }).then(function (response) {
      return keep(MAP.districts, response);
    }).catch(function () {}));
  });

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") return;
    var url = new URL(request.url);
    if (url.origin === self.location.origin && url.pathname === MAP.districts) {
      event.respondWith(boundaries(request));
    } else if (request.destination === "image" && isTile(request.url)) {
      event.respondWith(tile(request));
    }
  });

  self.kehrizTiles = { tilePattern: tilePattern };
})();
