/* The field app's service worker, served by projects/views/field.py at /field/sw.js, which puts
 * `self.FIELD_SW` ({version, app, kehriz, manifest, static: [...]}) before this code.
 *
 * - the app page and the kəhriz list: from the network when it answers (and kept), else the
 *   copy kept on the phone, so that the app opens and lists kəhriz without signal;
 * - scripts, styles, icons: kept at install, served from the phone;
 * - anything else (the API, photos) is left to the network: visits and photos are queued by the
 *   page itself (IndexedDB) and sent when the connection returns. */
"use strict";

var CONFIG = self.FIELD_SW;
var CACHE = "kehriz-field-" + CONFIG.version;
// How long to wait for the network before using the copy on the phone (one bar of signal).
var NETWORK_TIMEOUT_MS = 6000;

/* A new version installs only whole: its scripts and styles, and the app page of this version
 * (whose script and style addresses are this version's). When the page cannot be fetched (the
 * session has expired, the server fails, no signal), the install fails and is tried again on a
 * later visit: the version the phone has stays active, with its cache, so the app keeps opening
 * offline with its queue. The kəhriz list is data: when it cannot be fetched, the copy the phone
 * kept moves to the new version. A failed install removes the cache it had started. */
self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(CONFIG.static.concat([CONFIG.manifest])).then(function () {
        return fetchInto(cache, CONFIG.app, false);
      }).then(function () {
        return fetchInto(cache, CONFIG.kehriz, true);
      });
    }).then(function () { return self.skipWaiting(); }, function (error) {
      return caches.delete(CACHE).then(function () { throw error; });
    })
  );
});

/* Keep ``url`` in ``cache`` from the network; else, when ``carryOver``, the copy another version
 * of the app kept (none: nothing to carry, which a first install may meet); else fail. */
function fetchInto(cache, url, carryOver) {
  // The app's shell is served without a session when asked with this header (it is the same page
  // for everyone): an officer whose session has expired still gets the new version whole.
  var headers = url === CONFIG.app ? { "X-Kehriz-Shell": "1" } : {};
  return fetch(url, { credentials: "same-origin", headers: headers }).then(function (response) {
    if (!keepable(response)) throw new Error("not kept: " + url + " answered " + response.status);
    return cache.put(url, response);
  }).catch(function (error) {
    if (!carryOver) throw error;
    return caches.match(url).then(function (kept) {
      if (kept) return cache.put(url, kept);
    });
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("kehriz-field-") === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

/* The network first; the kept copy (under `key`) when the network fails or is too slow. */
function networkFirst(request, key) {
  var fromNetwork = fetch(request).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  });
  return withTimeout(fromNetwork, NETWORK_TIMEOUT_MS).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (kept) {
      if (kept) return markKept(kept);
      return fromNetwork; // nothing kept: wait for the network after all (or fail)
    });
  });
}

/* A kept copy says so (X-Kehriz-Kept: 1): the page tells the officer's live session from the
 * list the phone kept. */
function markKept(response) {
  var headers = new Headers(response.headers);
  headers.set("X-Kehriz-Kept", "1");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: headers });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (kept) {
      return kept || fetch(request);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === CONFIG.app) {
    event.respondWith(networkFirst(request, CONFIG.app));
  } else if (url.pathname === CONFIG.kehriz) {
    event.respondWith(networkFirst(request, CONFIG.kehriz));
  } else if (CONFIG.static.indexOf(url.pathname) !== -1 || url.pathname === CONFIG.manifest) {
    event.respondWith(cacheFirst(request));
  }
});
