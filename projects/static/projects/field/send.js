/* Sending what waits on the phone: visits to the API's idempotent creation, then the photos of
 * the visits the server stored. The rules (order, retries, what an answer means) are queue.js's;
 * this module does the requests and keeps the phone's records and the sync bar up to date. */
import { cfg, L } from "./config.js";
import { store } from "./storage.js";
import { request } from "./net.js";
import { number, $, app, fmt, renderVisits } from "./screen.js";
import { sendPhoto } from "./photos.js";
import * as queue from "./queue.js";

export const state = { authNeeded: false };
let syncing = false;
let failures = 0;
let retryTimer = null;

export function toPayload(record) {
  const d = record.draft;
  const text = (value) => (value || "").trim();
  return {
    uuid: record.uuid,
    title: text(d.title),
    start_date: d.start_date,
    end_date: d.end_date || null,
    purpose: text(d.purpose),
    organisations: text(d.organisations),
    participants: text(d.participants),
    observations: d.observations.map((o) => {
      const lps = number(o.discharge_lps);
      return {
        kehriz: o.kehriz,
        observed_on: o.observed_on,
        functionality: o.functionality,
        discharge_lps: lps === null ? null : lps.toFixed(2),
        discharge_method: lps === null && !o.discharge_method ? "" : o.discharge_method,
        works_progress: text(o.works_progress),
        findings: text(o.findings),
        observer_location: o.position ? { type: "Point", coordinates: [o.position.lon, o.position.lat] } : null,
        observer_accuracy_m: o.position && o.position.accuracy !== null
          ? Math.min(o.position.accuracy, 999999).toFixed(1) : null,
        people_met: o.people.map((p) => ({
          role: p.role,
          name: text(p.name),
          organisation: text(p.organisation),
          count: p.count ? parseInt(p.count, 10) : null,
          is_woman: p.is_woman === "true" ? true : p.is_woman === "false" ? false : null,
        })),
        follow_ups: o.followUps.map((f) => ({ action: text(f.action), responsible: text(f.responsible), due_date: f.due_date || null })),
      };
    }),
  };
}

function later(storeName, uuid, status) {
  return store.update(storeName, uuid, (record) => queue.noteFailure(record, status, Date.now(), cfg.retry));
}

function refuse(storeName, uuid, answer) {
  return store.update(storeName, uuid, (r) => {
    r.state = "refused";
    r.error = { status: answer.status, body: answer.body };
  });
}

function sendVisit(record) {
  return request(cfg.urls.visits, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(toPayload(record)),
  }, 60000).then((answer) => {
    const outcome = queue.outcomeOf(answer, record.uuid);
    if (outcome === "ok") {
      return store.update("visits", record.uuid, (r) => {
        r.state = "sent";
        r.sentAt = Date.now();
        r.serverId = answer.body.id;
        r.error = null;
        r.observationIds = {};
        (answer.body.observations || []).forEach((o) => { r.observationIds[o.kehriz] = o.id; });
        if (answer.status === 200 && r.editedAfterRefusal) r.notice = L.alreadyStored || null;
      }).then(() => outcome);
    }
    if (outcome === "refused") return refuse("visits", record.uuid, answer).then(() => outcome);
    if (outcome === "later") return later("visits", record.uuid, answer.status).then(() => outcome);
    return outcome;
  }, () => "network");
}

function sendOnePhoto(photo, visit) {
  const observation = visit.observationIds && visit.observationIds[photo.kehriz];
  if (!observation) {
    return refuse("photos", photo.uuid, { status: 0, body: cfg.fields.observations }).then(() => "refused");
  }
  return sendPhoto(photo, observation).then((answer) => {
    const outcome = queue.outcomeOf(answer, photo.uuid);
    if (outcome === "ok") {
      return store.update("photos", photo.uuid, (p) => {
        p.state = "sent";
        p.blob = null; // stored on the server: free the phone's space
        p.serverId = answer.body.id;
      }).then(() => outcome);
    }
    if (outcome === "refused") return refuse("photos", photo.uuid, answer).then(() => outcome);
    if (outcome === "later") return later("photos", photo.uuid, answer.status).then(() => outcome);
    return outcome;
  }, () => "network");
}

/* Send what is waiting, visits first (oldest first), then the photos of sent visits. Stops at
 * the first network failure and tries again later, waiting longer after each failure. */
function sendAll() {
  return store.all("visits").then((visits) => {
    const queued = queue.visitsToSend(visits, cfg.user, Date.now());
    let chain = Promise.resolve("ok");
    queued.forEach((record) => {
      chain = chain.then((outcome) => {
        if (outcome === "network" || outcome === "auth") return outcome;
        return sendVisit(record).then((result) => {
          if (result === "ok") failures = 0;
          return renderVisits().then(() => result);
        });
      });
    });
    return chain.then((outcome) => {
      if (outcome === "network" || outcome === "auth") return outcome;
      return Promise.all([store.all("visits"), store.all("photos")]).then(([allVisits, allPhotos]) => {
        const sent = queue.sentVisits(allVisits, cfg.user);
        let photoChain = Promise.resolve("ok");
        queue.photosToSend(allPhotos, allVisits, cfg.user, Date.now()).forEach((photo) => {
          photoChain = photoChain.then((result) => {
            if (result === "network" || result === "auth") return result;
            return sendOnePhoto(photo, sent[photo.visitUuid]).then((r) => {
              if (r === "ok") failures = 0;
              return renderVisits().then(() => r);
            });
          });
        });
        return photoChain;
      });
    });
  });
}

export function sync() {
  if (syncing) return Promise.resolve();
  syncing = true;
  clearTimeout(retryTimer);
  app.dataset.syncing = "1";
  $("sync-message").textContent = L.sending;
  const run = () => sendAll().then((outcome) => {
    state.authNeeded = outcome === "auth";
    if (outcome === "network") failures += 1;
    return outcome;
  });
  const work = navigator.locks
    ? navigator.locks.request("kehriz-field-sync", { ifAvailable: true }, (lock) => (lock ? run() : "busy"))
    : run();
  return work.catch(() => { failures += 1; return "network"; }).then((outcome) => {
    syncing = false;
    app.dataset.syncing = "0";
    return renderVisits().then(() => schedule(outcome));
  });
}

/* When to try again: after a network failure, 2 s, 4 s, 8 s… up to the longest wait; after a
 * server error, when the record that failed is due. */
function schedule(outcome) {
  clearTimeout(retryTimer);
  $("sign-in-again").hidden = !state.authNeeded;
  if (state.authNeeded) $("sync-bar").hidden = false;
  return Promise.all([store.all("visits"), store.all("photos")]).then(([visits, photos]) => {
    const mine = visits.filter((v) => v.user === cfg.user);
    const sentUuids = queue.sentVisits(visits, cfg.user);
    const pending = mine.filter((v) => v.state === "queued")
      .concat(photos.filter((p) => p.state === "waiting" && sentUuids[p.visitUuid]));
    let message = "";
    if (!pending.length || state.authNeeded) {
      const refused = mine.some((v) => v.state === "refused") || photos.some((p) => p.state === "refused");
      $("sync-message").textContent = state.authNeeded ? L.signIn
        : refused ? L.refusedSome : (visits.length ? L.waitingNone : "");
      return;
    }
    let delay;
    if (outcome === "network" || failures > 0) {
      delay = queue.backoffMs(failures, cfg.retry);
      message = L.offline + " ";
    } else {
      const next = Math.min(...pending.map((r) => r.nextAttemptAt || 0));
      delay = Math.max(1000, next - Date.now());
    }
    message += fmt(L.retryIn, { seconds: Math.round(delay / 1000) });
    $("sync-message").textContent = message;
    retryTimer = setTimeout(sync, delay);
  });
}

export function sendNow() {
  failures = 0;
  Promise.all([store.all("visits"), store.all("photos")]).then(([visits, photos]) => Promise.all([
    ...visits.filter((r) => r.nextAttemptAt).map((r) => store.update("visits", r.uuid, (x) => { x.nextAttemptAt = 0; })),
    ...photos.filter((r) => r.nextAttemptAt).map((r) => store.update("photos", r.uuid, (x) => { x.nextAttemptAt = 0; })),
  ])).then(() => { sync(); });
}

export function requeue(uuid) {
  store.update("visits", uuid, (record) => {
    record.state = "queued";
    record.error = null;
    record.attempts = 0;
    record.nextAttemptAt = 0;
    record.editedAfterRefusal = true;
  }).then(renderAndSync);
}

export function renderAndSync() {
  return renderVisits().then(() => { sync(); });
}
