/* Sending what waits on the phone: visits to the API's idempotent creation, then the photos of
 * the visits the server stored. The rules (order, retries, what an answer means) are queue.js's;
 * this module makes the requests, keeps the phone's records, and says how sending goes.
 *
 * Each visit and photo goes on its own (queue.PARALLEL at a time): one that hangs or fails waits
 * for its own next try while the others go on. Every request has a time limit. */
import { cfg, L } from "./config.js";
import { store } from "./storage.js";
import { csrfToken, request } from "./net.js";
import { number, $, app, fmt, renderVisits } from "./screen.js";
import { sendPhoto } from "./photos.js";
import * as queue from "./queue.js";

/* authNeeded: the server asked for a sign-in (nothing is sent until then); link: "offline",
 * "slow" or "" (queue.linkState). */
export const state = { authNeeded: false, link: "" };
const underWay = new Set(); // uuids of the visits and photos being sent now
const recentKinds = []; // how the last tries ended ("ok", "server", "timeout", "network"), newest last
let networkFailures = 0;
let holdUntil = 0; // no connection: nothing starts before this
let wakeTimer = null;

export function isUnderWay(uuid) { return underWay.has(uuid); }

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

/* Keep what an answer (or a failed try) means for one record; resolves to the outcome. */
function settle(storeName, uuid, outcome, answer, onStored) {
  if (outcome === "auth") return Promise.resolve(outcome);
  return store.update(storeName, uuid, (r) => {
    if (outcome === "ok") {
      queue.clearFailure(r);
      r.error = null;
      onStored(r);
    } else if (outcome === "refused") {
      queue.clearFailure(r);
      r.state = "refused";
      r.error = { status: answer.status, body: answer.body };
    } else {
      queue.noteFailure(r, outcome, answer ? answer.status : null, Date.now(), cfg.retry);
    }
  }).then(() => outcome);
}

function failureKind(error) {
  return error && error.kind === "timeout" ? "timeout" : "network";
}

function sendVisit(record) {
  return request(cfg.urls.visits, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(toPayload(record)),
  }, cfg.timeouts.visit).then((answer) => {
    return settle("visits", record.uuid, queue.outcomeOf(answer, record.uuid), answer, (r) => {
      r.state = "sent";
      r.sentAt = Date.now();
      r.serverId = answer.body.id;
      r.observationIds = {};
      (answer.body.observations || []).forEach((o) => { r.observationIds[o.kehriz] = o.id; });
      if (answer.status === 200 && r.editedAfterRefusal) r.notice = L.alreadyStored || null;
    });
  }, (error) => settle("visits", record.uuid, failureKind(error), null));
}

function sendOnePhoto(photo, visit) {
  const observation = visit && visit.observationIds && visit.observationIds[photo.kehriz];
  if (!observation) {
    return settle("photos", photo.uuid, "refused", { status: 0, body: cfg.fields.observations });
  }
  return sendPhoto(photo, observation).then((answer) => {
    return settle("photos", photo.uuid, queue.outcomeOf(answer, photo.uuid), answer, (p) => {
      p.state = "sent";
      p.sentAt = Date.now();
      p.blob = null; // stored on the server: free the phone's space
      p.serverId = answer.body.id;
    });
  }, (error) => settle("photos", photo.uuid, failureKind(error), null));
}

/* Send one record, unless another tab of the app is sending it (then leave it to that tab). */
function sendOne(kind, uuid) {
  const run = () => Promise.all([store.get(kind, uuid), store.all("visits")]).then(([fresh, visits]) => {
    if (!fresh) return null;
    if (kind === "visits") return fresh.state === "queued" && fresh.user === cfg.user ? sendVisit(fresh) : null;
    const visit = queue.sentVisits(visits, cfg.user)[fresh.visitUuid];
    return fresh.state === "waiting" && visit ? sendOnePhoto(fresh, visit) : null;
  });
  if (!navigator.locks) return run();
  return navigator.locks.request("kehriz-field-send-" + uuid, { ifAvailable: true }, (lock) => (lock ? run() : null));
}

function noteOutcome(outcome) {
  if (!outcome) return;
  if (outcome === "auth") {
    state.authNeeded = true;
    return;
  }
  if (outcome === "network") {
    networkFailures += 1;
    holdUntil = Date.now() + queue.backoffMs(networkFailures, cfg.retry);
  } else {
    networkFailures = 0;
    holdUntil = 0;
  }
  recentKinds.push(outcome === "refused" ? "ok" : outcome);
  if (recentKinds.length > 5) recentKinds.shift();
  state.link = queue.linkState(recentKinds, navigator.onLine !== false);
}

/* Background Sync, where the browser offers it (Chromium): the service worker sends the queued
 * visits even when the app is closed (sw.js). It needs the session's CSRF token and the
 * officer's language, which only the page can read. */
let csrfKept = false;
let syncAsked = false; // once while something waits: the browser then retries by itself
function askForBackgroundSync() {
  if (!("serviceWorker" in navigator) || syncAsked) return;
  syncAsked = true;
  if (!csrfKept && csrfToken()) {
    csrfKept = true;
    store.put("meta", { key: "csrf", token: csrfToken(), language: cfg.language }).catch(() => { csrfKept = false; });
  }
  navigator.serviceWorker.ready
    .then((registration) => registration.sync && registration.sync.register("kehriz-field-send"))
    .catch(() => null);
}

/* The service worker's background sync found the app open: the app sends, now. */
export function listenForBackgroundSync() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "kehriz-field-send") sync();
  });
}

/* Start whatever is due and has a free place, remove sent visits whose time on the phone is
 * over, redraw, and plan the next wake-up. Called at start-up, after each send, on a timer, when
 * the connection returns and when the app comes back to the screen. */
export function sync() {
  clearTimeout(wakeTimer);
  return Promise.all([store.all("visits"), store.all("photos")]).then(([visits, photos]) => {
    const now = Date.now();
    const expired = queue.expiredSent(visits, photos, now, cfg.sentKeptMs);
    if (expired.length) return forget(expired, photos).then(sync);
    const starts = state.authNeeded || now < holdUntil ? [] : queue.toStart(visits, photos, cfg.user, now, underWay);
    starts.forEach(({ kind, record }) => {
      underWay.add(record.uuid);
      Promise.resolve()
        .then(() => sendOne(kind, record.uuid))
        .catch(() => "network")
        .then((outcome) => {
          underWay.delete(record.uuid);
          noteOutcome(outcome);
          return sync();
        });
    });
    app.dataset.syncing = underWay.size ? "1" : "0";
    app.dataset.link = state.link;
    return renderVisits().then(() => schedule(visits, photos));
  });
}

/* Remove sent visits (and their sent photos' records) from the phone: the server keeps them. */
function forget(visitUuids, photos) {
  const gone = new Set(visitUuids);
  return Promise.all([
    ...visitUuids.map((uuid) => store.remove("visits", uuid)),
    ...photos.filter((p) => gone.has(p.visitUuid)).map((p) => store.remove("photos", p.uuid)),
  ]);
}

/* The sync bar's message, and when to look again. */
function schedule(visits, photos) {
  clearTimeout(wakeTimer);
  $("sign-in-again").hidden = !state.authNeeded && !!cfg.user;
  if (state.authNeeded) $("sync-bar").hidden = false;
  const mine = visits.filter((v) => v.user === cfg.user);
  const waiting = queue.pending(visits, photos, cfg.user);
  const count = waiting.visits.length + waiting.photos.length;
  if (waiting.visits.length && !state.authNeeded) askForBackgroundSync();
  if (!waiting.visits.length) syncAsked = false;
  if (!count || state.authNeeded) {
    const refused = mine.some((v) => v.state === "refused") || photos.some((p) => p.state === "refused");
    $("sync-message").textContent = state.authNeeded ? L.signIn
      : refused ? L.refusedSome : (visits.length ? L.waitingNone : "");
    return;
  }
  const notUnderWay = {
    visits: waiting.visits.filter((r) => !underWay.has(r.uuid)),
    photos: waiting.photos.filter((r) => !underWay.has(r.uuid)),
  };
  const now = Date.now();
  const wake = queue.nextWake(notUnderWay, now, holdUntil);
  const link = state.link === "offline" ? L.offline : state.link === "slow" ? L.slow : "";
  let message = underWay.size ? L.sending : "";
  if (wake !== null) {
    const delay = Math.max(500, wake - now);
    wakeTimer = setTimeout(sync, delay);
    if (!underWay.size) message = fmt(L.retryIn, { seconds: Math.max(1, Math.round(delay / 1000)) });
  }
  $("sync-message").textContent = [link, message].filter(Boolean).join(" ");
}

/* "Send now", and the connection coming back: everything is due at once. */
export function sendNow() {
  state.authNeeded = false;
  networkFailures = 0;
  holdUntil = 0;
  return Promise.all([store.all("visits"), store.all("photos")]).then(([visits, photos]) => Promise.all([
    ...visits.filter((r) => r.nextAttemptAt).map((r) => store.update("visits", r.uuid, (x) => { x.nextAttemptAt = 0; })),
    ...photos.filter((r) => r.nextAttemptAt).map((r) => store.update("photos", r.uuid, (x) => { x.nextAttemptAt = 0; })),
  ])).then(sync);
}

export function requeue(uuid) {
  store.update("visits", uuid, (record) => {
    record.state = "queued";
    record.payload = toPayload(record);
    record.error = null;
    queue.clearFailure(record);
    record.editedAfterRefusal = true;
  }).then(renderAndSync);
}

export function renderAndSync() {
  return renderVisits().then(() => { sync(); });
}
