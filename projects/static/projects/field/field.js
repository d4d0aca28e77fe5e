/* The field app: log monitoring visits on a phone, with or without signal. This module starts
 * it; the others each hold one part:
 *
 * - queue.js: the queue's rules (order, retries, what an answer means), no browser API;
 * - storage.js: the phone's store (IndexedDB);
 * - net.js: one request to the server, with a time limit;
 * - send.js: sending what waits, and the sync bar;
 * - screen.js: DOM helpers, the views, the list of visits on this phone;
 * - forms.js: the visit, choosing a kəhriz, one observation;
 * - photos.js: shrinking, keeping and sending photos (`sendPhoto` sends one);
 * - officer.js: who is using the phone (the shell is the same for everyone);
 * - fold.js: Azerbaijani folding for search (as projects/text.py).
 *
 * Everything is saved on the phone first with the visit's own UUID, then sent to the API's
 * idempotent visit creation; photos follow once their visit is stored. A visit shows as sent
 * only after the server confirmed it; a refused one keeps the server's reason until it is fixed
 * or discarded. Nothing is removed without the officer asking. */
import { cfg, L } from "./config.js";
import { fold } from "./fold.js";
import { $, app, renderVisits, show } from "./screen.js";
import {
  addKehriz, cleanDraftPhotos, kehrizData, loadKehriz, openVisit, resumeDraft, wireForms,
} from "./forms.js";
import { wireMap } from "./map.js";
import { listenForBackgroundSync, sendNow, sync } from "./send.js";
import { wireOfficer } from "./officer.js";

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) {
    $("offline-ready").textContent = L.serviceWorkerFailed;
    return;
  }
  navigator.serviceWorker.register(cfg.urls.serviceWorker, { scope: cfg.urls.app }).catch(() => {
    $("offline-ready").textContent = L.serviceWorkerFailed;
  });
  navigator.serviceWorker.ready.then(() => {
    const done = () => {
      app.dataset.offlineReady = "1";
      $("offline-ready").textContent = L.offlineReady;
    };
    if (navigator.serviceWorker.controller) done();
    else navigator.serviceWorker.addEventListener("controllerchange", done, { once: true });
  });
}

wireForms();
wireOfficer();
listenForBackgroundSync();
// The map: a kəhriz tapped on it starts its observation (in a new visit, from the home view).
wireMap({
  config: cfg.map,
  show: show,
  data: kehrizData,
  start: (k, inVisit) => { if (!inVisit) openVisit(null); addKehriz(k); },
});
$("send-now").addEventListener("click", sendNow);
window.addEventListener("online", sendNow);
document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });

registerServiceWorker();
// Who is using the phone comes with the kəhriz list (or from the phone, without signal).
// Then the visit that was open when the page was killed, as typed.
loadKehriz().then(cleanDraftPhotos).then(renderVisits).then(resumeDraft).then(() => {
  app.dataset.ready = "1";
  return sync();
});

// For the tests: the same folding as the server's.
window.kehrizField = { fold: fold, sync: sync };
