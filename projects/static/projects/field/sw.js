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

/* Background Sync (Chromium offers it): the visits waiting on the phone go even with the app
 * closed. The page asks for a sync whenever something waits; the browser wakes this worker when
 * it thinks there is a connection, and again later (waiting longer each time) while it fails.
 * An open app sends them itself (it is told to now); otherwise this worker sends the queued
 * visits of the officer the phone knows, each as the page put it in the queue (record.payload),
 * with the CSRF token and language the page left (meta "csrf"), each under the same lock as the
 * page's, so that nothing goes twice at once. Photos wait for the app: they go in chunks
 * (upload.js). Nothing else changes: the page shows what happened when it next opens. */
var SYNC_TAG = "kehriz-field-send";

self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(sendInBackground());
});

function sendInBackground() {
  return self.clients.matchAll({ type: "window" }).then(function (windows) {
    var open = windows.filter(function (w) { return new URL(w.url).pathname === CONFIG.app; });
    if (open.length) {
      open.forEach(function (w) { w.postMessage({ type: SYNC_TAG }); });
      return null;
    }
    return openStore().then(sendQueuedVisits);
  });
}

function openStore() {
  return new Promise(function (resolve, reject) {
    var request = indexedDB.open("kehriz-field");
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });
}

function idb(db, storeName, mode, work) {
  return new Promise(function (resolve, reject) {
    var tx = db.transaction(storeName, mode);
    var result;
    tx.oncomplete = function () { resolve(result); };
    tx.onerror = tx.onabort = function () { reject(tx.error); };
    var request = work(tx.objectStore(storeName));
    if (request) request.onsuccess = function () { result = request.result; };
  });
}

function sendQueuedVisits(db) {
  if (!db.objectStoreNames.contains("meta")) return null;
  return Promise.all([
    idb(db, "meta", "readonly", function (s) { return s.get("officer"); }),
    idb(db, "meta", "readonly", function (s) { return s.get("csrf"); }),
    idb(db, "visits", "readonly", function (s) { return s.getAll(); }),
  ]).then(function (found) {
    var user = found[0] && found[0].user;
    var csrf = found[1] || {};
    if (!user) return null; // signed out: the phone is locked
    var queued = found[2].filter(function (v) {
      return v.user === user && v.state === "queued" && v.payload;
    }).sort(function (a, b) { return a.createdAt - b.createdAt; });
    var failed = false;
    var chain = Promise.resolve();
    queued.forEach(function (visit) {
      chain = chain.then(function () {
        var send = function () {
          return sendVisitInBackground(db, visit, csrf).then(function (ok) { if (!ok) failed = true; });
        };
        var locks = self.navigator && self.navigator.locks;
        return locks ? locks.request("kehriz-field-send-" + visit.uuid, { ifAvailable: true }, function (lock) {
          return lock ? send() : null;
        }) : send();
      });
    });
    // A failure makes the browser try again later.
    return chain.then(function () { if (failed) throw new Error("not everything was sent"); });
  });
}

/* Resolves true when the server has the visit (or refused it: the page shows why), false when
 * it should be tried again. */
function sendVisitInBackground(db, visit, csrf) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, CONFIG.visitTimeout);
  return fetch(CONFIG.visits, {
    method: "POST",
    credentials: "same-origin",
    signal: controller.signal,
    headers: {
      "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf.token || "",
      "Accept-Language": csrf.language || "", "X-Kehriz-Client": "field-app",
    },
    body: JSON.stringify(visit.payload),
  }).then(function (response) {
    return response.text().then(function (text) {
      clearTimeout(timer);
      var body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
      var stored = (response.status === 200 || response.status === 201) && body && body.uuid === visit.uuid;
      var refused = response.status >= 400 && response.status < 500 &&
        [401, 408, 429].indexOf(response.status) === -1;
      if (!stored && !refused) return false;
      return idb(db, "visits", "readwrite", function (s) {
        var request = s.get(visit.uuid);
        request.onsuccess = function () {
          var r = request.result;
          if (!r || r.state !== "queued") return;
          r.attempts = 0;
          r.nextAttemptAt = 0;
          r.failure = null;
          if (stored) {
            r.state = "sent";
            r.sentAt = Date.now();
            r.serverId = body.id;
            r.error = null;
            r.observationIds = {};
            (body.observations || []).forEach(function (o) { r.observationIds[o.kehriz] = o.id; });
          } else {
            r.state = "refused";
            r.error = { status: response.status, body: body };
          }
          s.put(r);
        };
        return null;
      }).then(function () { return true; });
    });
  }, function () { clearTimeout(timer); return false; });
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
