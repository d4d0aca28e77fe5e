/* The phone's own store (IndexedDB): visits and photos waiting to be sent, kept until the server
 * has confirmed them, and after that as a record of what was sent.
 *
 * visits: { uuid, user, state: "draft" | "queued" | "sent" | "refused", draft (the form's
 *           values), createdAt, attempts, nextAttemptAt, error, serverId,
 *           observationIds: {kehriz id: observation id} }
 * photos: { uuid, visitUuid, kehriz, blob, width, height, takenAt, state: "draft" | "waiting" |
 *           "sent" | "refused", attempts, nextAttemptAt, error }
 * meta: { key: "officer", user } (officer.js) */
const NAME = "kehriz-field";
const VERSION = 2;
let opened = null;

function open() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("visits")) db.createObjectStore("visits", { keyPath: "uuid" });
      if (!db.objectStoreNames.contains("photos")) {
        const photos = db.createObjectStore("photos", { keyPath: "uuid" });
        photos.createIndex("visitUuid", "visitUuid");
      }
      // What the phone knows of its officer: {key: "officer", user (null once signed out)}.
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

function run(storeName, mode, work) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
    const request = work(tx.objectStore(storeName));
    if (request) request.onsuccess = () => { result = request.result; };
  }));
}

export const store = {
  all: (storeName) => run(storeName, "readonly", (s) => s.getAll()),
  get: (storeName, key) => run(storeName, "readonly", (s) => s.get(key)),
  put: (storeName, record) => run(storeName, "readwrite", (s) => s.put(record)),
  remove: (storeName, key) => run(storeName, "readwrite", (s) => s.delete(key)),
  photosOf: (visitUuid) => run("photos", "readonly", (s) => s.index("visitUuid").getAll(visitUuid)),
  /* Change one record in place (read, change, write in one transaction). Resolves to the
   * changed record (undefined when there was none). */
  update(storeName, key, change) {
    let changed;
    return run(storeName, "readwrite", (s) => {
      const request = s.get(key);
      request.onsuccess = () => {
        if (request.result) {
          change(request.result);
          changed = request.result;
          s.put(request.result);
        }
      };
      return null;
    }).then(() => changed);
  },
};
