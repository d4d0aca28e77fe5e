/* The phone's own store (IndexedDB): visits and photos waiting to be sent, kept until the server
 * has confirmed them, and after that as a record of what was sent.
 *
 * visits: { uuid, user, state: "draft" | "queued" | "sent" | "refused", visit (the API's body),
 *           extra (what only the phone needs: kəhriz names, bucket timings…), createdAt,
 *           attempts, nextAttemptAt, error, serverId, observationIds: {kehriz id: observation id} }
 * photos: { uuid, visitUuid, kehriz, blob, width, height, takenAt, state: "draft" | "waiting" |
 *           "sent" | "refused", attempts, nextAttemptAt, error } */
(function () {
  "use strict";
  var NAME = "kehriz-field";
  var VERSION = 1;
  var opened = null;

  function open() {
    if (opened) return opened;
    opened = new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("visits")) db.createObjectStore("visits", { keyPath: "uuid" });
        if (!db.objectStoreNames.contains("photos")) {
          var photos = db.createObjectStore("photos", { keyPath: "uuid" });
          photos.createIndex("visitUuid", "visitUuid");
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opened;
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
        var request = work(tx.objectStore(storeName));
        if (request) request.onsuccess = function () { result = request.result; };
      });
    });
  }

  var store = {
    all: function (storeName) {
      return run(storeName, "readonly", function (s) { return s.getAll(); });
    },
    get: function (storeName, key) {
      return run(storeName, "readonly", function (s) { return s.get(key); });
    },
    put: function (storeName, record) {
      return run(storeName, "readwrite", function (s) { return s.put(record); });
    },
    remove: function (storeName, key) {
      return run(storeName, "readwrite", function (s) { return s.delete(key); });
    },
    photosOf: function (visitUuid) {
      return run("photos", "readonly", function (s) { return s.index("visitUuid").getAll(visitUuid); });
    },
    /* Change one record in place (read, change, write in one transaction). */
    update: function (storeName, key, change) {
      return run(storeName, "readwrite", function (s) {
        var request = s.get(key);
        request.onsuccess = function () {
          if (request.result) {
            change(request.result);
            s.put(request.result);
          }
        };
        return null;
      });
    },
  };

  window.kehrizStore = store;
})();
