/* The visit form, choosing a kəhriz, and one kəhriz's observation: what the officer types, the
 * checks that help without getting in the way, and the draft kept on the phone. */
import { cfg, L } from "./config.js";
import { store } from "./storage.js";
import { matches } from "./fold.js";
import {
  $, app, choiceLabel, decimal, distanceM, el, fmt, km, number, renderVisits, show, today, uuid4,
} from "./screen.js";
import { renderAndSync, state, toPayload } from "./send.js";
import { learnOfficer } from "./officer.js";
import { addPhotos, showPhoto } from "./photos.js";

let kehrizList = [];
let districts = {};
let position = null; // {lat, lon, accuracy, at}
let current = null; // the visit record being edited
let editing = null; // {observation, isNew, addedPhotos: [uuid], removedPhotos: [uuid], position}

/* The kəhriz list and district names kept on the phone (for the map). */
export function kehrizData() { return { kehriz: kehrizList, districts: districts }; }

/* The visit and the observation being edited (for the photos). */
export function editingState() { return { current: current, editing: editing }; }

// --- The kəhriz list (from the server, kept by the service worker) --------------------------------

export function loadKehriz() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), cfg.timeouts.list);
  return fetch(cfg.urls.kehriz, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: controller.signal })
    .then((response) => {
      if (response.status === 401) state.authNeeded = true;
      if (!response.ok) {
        return learnOfficer(response.status, null, false).then(() => { throw new Error(response.status); });
      }
      // A copy the service worker kept (no signal) says whose list it was, not who is here now.
      const kept = response.headers.get("X-Kehriz-Kept") === "1";
      return response.json().then((data) => learnOfficer(200, data, kept).then(() => data));
    }, (error) => learnOfficer(0, null, false).then(() => { throw error; }))
    .then((data) => {
      kehrizList = data.kehriz;
      districts = data.districts;
      app.dataset.kehriz = String(kehrizList.length);
    })
    .catch(() => {
      app.dataset.kehriz = "failed";
    })
    .finally(() => clearTimeout(timer));
}

function locate() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (found) => {
        position = { lat: found.coords.latitude, lon: found.coords.longitude, accuracy: found.coords.accuracy, at: Date.now() };
        resolve(position);
      },
      (error) => resolve({ error: error.message || String(error.code) }),
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
    );
  });
}

// --- A visit ----------------------------------------------------------------------------------------

const VISIT_FIELDS = { title: "visit-title", start_date: "visit-start", end_date: "visit-end", purpose: "visit-purpose", organisations: "visit-organisations", participants: "visit-participants" };

export function openVisit(record) {
  if (!cfg.user) return; // nobody signed in: nothing is recorded under anyone's name
  if (!record) {
    record = {
      uuid: uuid4(),
      user: cfg.user,
      state: "draft",
      createdAt: Date.now(),
      draft: { title: "", start_date: today(), end_date: "", purpose: "", organisations: "", participants: "", observations: [] },
    };
  }
  current = record;
  Object.keys(VISIT_FIELDS).forEach((name) => { $(VISIT_FIELDS[name]).value = record.draft[name] || ""; });
  $("visit-start").max = today();
  clearErrors("visit-form");
  renderObservations();
  show("visit-view");
}

function readVisitFields() {
  Object.keys(VISIT_FIELDS).forEach((name) => { current.draft[name] = $(VISIT_FIELDS[name]).value; });
}

/* Keep the visit on the phone as it is typed, with the observation open in it (its fields, as
 * typed, and its photos): a page the phone kills (Android often does while the camera is open)
 * comes back to it (resumeDraft). `closing`: the visit is left for the list. */
export function saveDraft(closing) {
  if (!current) return Promise.resolve();
  readVisitFields();
  if (current.state !== "draft" && current.state !== "refused") return Promise.resolve();
  current.open = closing ? null : editing ? {
    observation: snapshotObservation(),
    isNew: editing.isNew,
    index: current.draft.observations.indexOf(editing.observation),
    addedPhotos: editing.addedPhotos.slice(),
    removedPhotos: editing.removedPhotos.slice(),
  } : { observation: null };
  current.savedAt = Date.now();
  const record = current;
  return store.put("visits", record).then(() => showSaved(record, closing));
}

function showSaved(record, closing) {
  const line = $("draft-saved");
  line.hidden = !!closing;
  if (closing) return;
  const at = new Date(record.savedAt);
  const time = [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
  line.textContent = fmt(L.draftSaved, { time: time });
  app.dataset.draftSaved = String(record.savedAt);
}

/* The observation being edited, as typed (nothing checked yet). */
function snapshotObservation() {
  const o = editing.observation;
  const checked = document.querySelector("#obs-functionality input:checked");
  return Object.assign({}, o, {
    observed_on: $("obs-date").value,
    functionality: checked ? checked.value : o.functionality,
    discharge_lps: $("obs-discharge").value,
    discharge_method: $("obs-method").value,
    confirmedUnusual: $("obs-confirm-unusual").checked,
    bucket: { litres: $("bucket-litres").value, timings: readRows("bucket-timings", ["seconds"]).map((r) => r.seconds).filter(Boolean) },
    works_progress: $("obs-works").value,
    findings: $("obs-findings").value,
    people: readRows("people", ["role", "name", "organisation", "count", "is_woman"]),
    followUps: readRows("follow-ups", ["action", "responsible", "due_date"]),
    photos: Array.prototype.map.call($("photos").children, (row) => ({
      uuid: row.dataset.uuid, caption: row.querySelector("[data-name=caption]").value,
    })),
    position: editing.position,
  });
}

/* At start-up: the visit (and observation) that was open when the page was killed, as typed. */
export function resumeDraft() {
  if (!cfg.user) return Promise.resolve();
  return store.all("visits").then((visits) => {
    const record = visits
      .filter((v) => v.user === cfg.user && v.open && (v.state === "draft" || v.state === "refused"))
      .sort((a, b) => (b.savedAt || 0) - (a.savedAt || 0))[0];
    if (!record) return;
    const open = record.open;
    openVisit(record);
    if (!open.observation) return;
    const target = open.isNew ? open.observation : record.draft.observations[open.index];
    if (target) openObservation(target, open.isNew, open);
  });
}

/* At start-up: photos kept for a draft that no longer has them (a discarded visit, an
 * observation cancelled, a page killed before the photo was saved with it) leave the phone. */
export function cleanDraftPhotos() {
  return Promise.all([store.all("visits"), store.all("photos")]).then(([visits, photos]) => {
    const used = new Set();
    visits.forEach((v) => {
      v.draft.observations.forEach((o) => o.photos.forEach((p) => used.add(p.uuid)));
      if (v.open && v.open.observation) v.open.observation.photos.forEach((p) => used.add(p.uuid));
    });
    const unused = photos.filter((p) => p.state === "draft" && !used.has(p.uuid));
    return Promise.all(unused.map((p) => store.remove("photos", p.uuid)));
  });
}

function renderObservations() {
  const list = $("observation-list");
  list.textContent = "";
  current.draft.observations.forEach((o, index) => {
    const summary = [choiceLabel(cfg.functionalities, o.functionality)];
    if (number(o.discharge_lps) !== null) summary.push(fmt(L.litresPerSecond, { value: decimal(number(o.discharge_lps)) }));
    if (o.photos.length) summary.push("📷 " + o.photos.length);
    list.appendChild(el("li", { className: "card observation-card", "data-kehriz": String(o.kehriz) }, [
      el("h3", { text: o.kehrizName }),
      el("p", { className: "meta", text: summary.join(" · ") }),
      el("div", { className: "actions" }, [
        el("button", { type: "button", className: "secondary", text: L.edit, onclick: () => openObservation(o, false) }),
        el("button", { type: "button", className: "link", text: L.remove, onclick: () => removeObservation(index) }),
      ]),
    ]));
  });
}

function removeObservation(index) {
  const removed = current.draft.observations.splice(index, 1)[0];
  Promise.all(removed.photos.map((p) => store.remove("photos", p.uuid)))
    .then(() => saveDraft()).then(renderObservations);
}

function clearErrors(formId) {
  const form = $(formId);
  form.querySelectorAll(".error").forEach((node) => { node.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  form.querySelector(".errors").textContent = "";
}

function fieldError(inputId, errorId, message, errors) {
  $(errorId).textContent = message;
  if (inputId) {
    $(inputId).setAttribute("aria-invalid", "true");
    $(inputId).setAttribute("aria-describedby", errorId);
  }
  errors.push(message);
}

function showErrors(boxId, errors) {
  const box = $(boxId);
  box.textContent = "";
  if (!errors.length) return false;
  const list = el("ul");
  errors.forEach((message) => list.appendChild(el("li", { text: message })));
  box.appendChild(list);
  box.focus();
  return true;
}

function validateVisit() {
  clearErrors("visit-form");
  readVisitFields();
  const d = current.draft;
  const errors = [];
  if (!d.title.trim()) fieldError("visit-title", "visit-title-error", L.required, errors);
  if (!d.start_date) fieldError("visit-start", "visit-start-error", L.required, errors);
  else if (d.start_date > today()) fieldError("visit-start", "visit-start-error", L.futureVisit, errors);
  if (d.end_date && d.start_date && d.end_date < d.start_date) fieldError("visit-end", "visit-end-error", L.endBeforeStart, errors);
  if (!d.observations.length) fieldError(null, "visit-observations-error", L.noKehrizAdded, errors);
  d.observations.forEach((o) => {
    const message = observationDateError(o.observed_on, d);
    if (message) errors.push(fmt(L.observationOf, { kehriz: o.kehrizName, message: message }));
  });
  return !showErrors("visit-errors", errors);
}

function queueVisit(event) {
  event.preventDefault();
  if (!validateVisit()) return;
  const record = current;
  const wasRefused = record.state === "refused";
  record.state = "queued";
  record.error = null;
  record.attempts = 0;
  record.nextAttemptAt = 0;
  if (wasRefused) record.editedAfterRefusal = true;
  record.open = null;
  record.payload = toPayload(record); // as sent, also by the service worker with the app closed
  $("draft-saved").hidden = true;
  const captions = {};
  record.draft.observations.forEach((o) => {
    o.photos.forEach((p) => { captions[p.uuid] = { caption: p.caption, kehriz: o.kehriz }; });
  });
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  store.put("visits", record)
    .then(() => store.photosOf(record.uuid))
    .then((photos) => Promise.all(photos.map((photo) => {
      if (!captions[photo.uuid]) return store.remove("photos", photo.uuid);
      return store.update("photos", photo.uuid, (p) => {
        p.caption = captions[p.uuid].caption;
        p.kehriz = captions[p.uuid].kehriz;
        if (p.state === "draft") p.state = "waiting";
      });
    })))
    .then(() => {
      current = null;
      show("home-view");
      return renderAndSync();
    });
}

function closeVisit() {
  saveDraft(true).then(() => { current = null; show("home-view"); return renderVisits(); });
}

// --- Choosing a kəhriz ------------------------------------------------------------------------------

function openPicker() {
  readVisitFields();
  $("kehriz-search").value = "";
  renderChoices();
  show("picker-view");
  $("kehriz-search").focus();
  locate().then(() => { if (!$("picker-view").hidden) renderChoices(); });
}

function renderChoices() {
  const list = $("kehriz-choices");
  list.textContent = "";
  const query = $("kehriz-search").value;
  const chosen = {};
  current.draft.observations.forEach((o) => { chosen[o.kehriz] = true; });
  const here = position && position.lat !== undefined ? position : null;
  const rows = kehrizList.filter((k) => !chosen[k.id] && matches(query, k.search)).map((k) => ({
    k: k,
    away: here && k.lat !== null ? distanceM(here.lat, here.lon, k.lat, k.lon) : null,
  }));
  rows.sort((a, b) => {
    if (a.away !== null && b.away !== null) return a.away - b.away;
    if (a.away !== null) return -1;
    if (b.away !== null) return 1;
    return a.k.name.localeCompare(b.k.name, cfg.language);
  });
  $("picker-sort").textContent = app.dataset.kehriz === "failed" ? L.kehrizFailed
    : !kehrizList.length ? L.noDistricts : here ? L.sortedByDistance : L.sortedByName;
  if (kehrizList.length && !rows.length) list.appendChild(el("li", { className: "empty", text: L.noKehriz }));
  rows.slice(0, 100).forEach((row) => {
    const k = row.k;
    const where = [k.village, districts[k.district]].filter(Boolean).join(", ");
    list.appendChild(el("li", {}, [
      el("button", { type: "button", className: "choice", "data-kehriz": String(k.id), onclick: () => addKehriz(k) }, [
        el("span", { className: "name", text: k.name }),
        el("span", { className: "where", text: [k.code, where].filter(Boolean).join(" · ") }),
        row.away !== null ? el("span", { className: "distance", text: fmt(L.km, { km: km(row.away) }) }) : null,
      ]),
    ]));
  });
}

export function addKehriz(k) {
  const d = current.draft;
  openObservation({
    kehriz: k.id,
    kehrizName: k.name,
    kehrizCode: k.code,
    outlet: k.lat !== null ? { lat: k.lat, lon: k.lon } : null,
    unusualAbove: k.unusualAbove,
    observed_on: d.start_date && d.start_date <= today() ? d.start_date : today(),
    functionality: "unknown",
    discharge_lps: "",
    discharge_method: "",
    confirmedUnusual: false,
    bucket: { litres: "", timings: [] },
    works_progress: "",
    findings: "",
    people: [],
    followUps: [],
    photos: [],
    position: null,
  }, true);
}

// --- One observation --------------------------------------------------------------------------------

function fillSelect(select, choices) {
  choices.forEach((choice) => select.appendChild(el("option", { value: choice[0], text: choice[1] })));
}

function addRow(listId, templateId, values) {
  const row = $(templateId).content.firstElementChild.cloneNode(true);
  const role = row.querySelector("select[data-name=role]");
  if (role) fillSelect(role, cfg.roles);
  Object.keys(values || {}).forEach((name) => {
    const input = row.querySelector("[data-name=" + name + "]");
    if (input && values[name] !== null && values[name] !== undefined) input.value = String(values[name]);
  });
  row.querySelector(".remove-row").addEventListener("click", () => {
    row.remove();
    if (listId === "bucket-timings") computeBucket();
  });
  $(listId).appendChild(row);
  return row;
}

function readRows(listId, names) {
  return Array.prototype.map.call($(listId).children, (row) => {
    const values = {};
    names.forEach((name) => { values[name] = row.querySelector("[data-name=" + name + "]").value; });
    return values;
  });
}

/* `restored`: the observation as typed before the page was killed (saveDraft's `open`). */
function openObservation(observation, isNew, restored) {
  editing = {
    observation: observation,
    isNew: isNew,
    addedPhotos: restored ? restored.addedPhotos || [] : [],
    removedPhotos: restored ? restored.removedPhotos || [] : [],
  };
  const shown = restored ? restored.observation : observation;
  clearErrors("observation-form");
  $("observation-kehriz").textContent = shown.kehrizName + (shown.kehrizCode ? " (" + shown.kehrizCode + ")" : "");
  $("obs-date").value = shown.observed_on;
  $("obs-date").max = today();
  const radios = $("obs-functionality");
  radios.textContent = "";
  cfg.functionalities.forEach((choice) => {
    const input = el("input", { type: "radio", name: "functionality", value: choice[0] });
    if (choice[0] === shown.functionality) input.checked = true;
    radios.appendChild(el("label", { className: "radio" }, [input, " " + choice[1]]));
  });
  $("obs-method").value = shown.discharge_method || "";
  $("obs-discharge").value = shown.discharge_lps || "";
  $("obs-confirm-unusual").checked = !!shown.confirmedUnusual;
  $("bucket-litres").value = shown.bucket.litres || "";
  $("bucket-timings").textContent = "";
  shown.bucket.timings.forEach((seconds) => addRow("bucket-timings", "timing-template", { seconds: seconds }));
  $("obs-works").value = shown.works_progress;
  $("obs-findings").value = shown.findings;
  $("people").textContent = "";
  shown.people.forEach((p) => addRow("people", "person-template", p));
  $("follow-ups").textContent = "";
  shown.followUps.forEach((f) => addRow("follow-ups", "follow-up-template", f));
  $("photos").textContent = "";
  shown.photos.forEach((p) => showPhoto(p.uuid, p.caption));
  editing.position = shown.position;
  renderPosition();
  updateMethod();
  checkUnusual();
  show("observation-view");
  if ((isNew && !restored) || !shown.position) recordPosition();
  saveDraft();
}

function recordPosition() {
  $("position-text").textContent = L.positionWaiting;
  const forObservation = editing;
  locate().then((found) => {
    if (editing !== forObservation) return;
    if (!found || found.error) {
      if (!editing.position) $("position-text").textContent = fmt(L.positionNone, { reason: found ? found.error : "—" });
      return;
    }
    editing.position = { lat: found.lat, lon: found.lon, accuracy: found.accuracy };
    renderPosition();
    saveDraft();
  });
}

function renderPosition() {
  const p = editing.position;
  const outlet = editing.observation.outlet;
  $("far").hidden = true;
  app.dataset.far = "0";
  if (!p) {
    $("position-text").textContent = "";
    return;
  }
  let text = fmt(L.position, { lat: p.lat.toFixed(5), lon: p.lon.toFixed(5), accuracy: Math.round(p.accuracy) });
  if (outlet) {
    const away = distanceM(p.lat, p.lon, outlet.lat, outlet.lon);
    text += " " + fmt(L.positionFromOutlet, { km: km(away) });
    if (away > cfg.farM) {
      $("far-text").textContent = fmt(L.far, { km: km(away) });
      $("far").hidden = false;
      app.dataset.far = "1";
    }
  }
  $("position-text").textContent = text;
}

function updateMethod() {
  $("bucket-helper").hidden = $("obs-method").value !== "bucket";
  if (!$("bucket-helper").hidden && !$("bucket-timings").children.length) addRow("bucket-timings", "timing-template");
}

function computeBucket() {
  const litres = number($("bucket-litres").value);
  const timings = readRows("bucket-timings", ["seconds"]).map((r) => number(r.seconds))
    .filter((s) => s !== null && !isNaN(s) && s > 0);
  if (!litres || isNaN(litres) || litres <= 0 || !timings.length) {
    $("bucket-result").textContent = L.bucketNeed;
    return;
  }
  const average = timings.reduce((a, b) => a + b, 0) / timings.length;
  const lps = (litres / average).toFixed(2);
  $("bucket-result").textContent = fmt(L.bucketResult, { lps: decimal(lps), count: timings.length, seconds: decimal(average.toFixed(1)) });
  $("obs-discharge").value = lps;
  checkUnusual();
}

let stopwatchStart = null;
let stopwatchTimer = null;
function toggleStopwatch() {
  const button = $("stopwatch");
  if (stopwatchStart === null) {
    stopwatchStart = Date.now();
    stopwatchTimer = setInterval(() => {
      button.textContent = L.stop + " (" + fmt(L.seconds, { value: decimal(((Date.now() - stopwatchStart) / 1000).toFixed(1)) }) + ")";
    }, 100);
    button.textContent = L.stop;
    return;
  }
  clearInterval(stopwatchTimer);
  const seconds = ((Date.now() - stopwatchStart) / 1000).toFixed(1);
  stopwatchStart = null;
  button.textContent = L.start;
  const rows = $("bucket-timings").children;
  const last = rows.length ? rows[rows.length - 1].querySelector("input") : null;
  if (last && !last.value) last.value = seconds;
  else addRow("bucket-timings", "timing-template", { seconds: seconds });
  computeBucket();
  saveDraft();
}

function checkUnusual() {
  const lps = number($("obs-discharge").value);
  const limit = editing.observation.unusualAbove;
  const unusual = lps !== null && !isNaN(lps) && limit !== null && limit !== undefined && lps > limit;
  $("unusual").hidden = !unusual;
  if (unusual) $("unusual-text").textContent = fmt(L.unusual, { lps: lps, usual: limit });
  return unusual;
}

function observationDateError(date, visitDraft) {
  if (!date) return L.required;
  if (date > today()) return L.futureObservation;
  const start = visitDraft.start_date;
  const end = visitDraft.end_date || visitDraft.start_date;
  if (start && (date < start || date > end)) return fmt(L.outsideVisit, { start: start, end: end });
  return "";
}

function saveObservation(event) {
  event.preventDefault();
  clearErrors("observation-form");
  readVisitFields();
  const errors = [];
  const date = $("obs-date").value;
  const dateError = observationDateError(date, current.draft);
  if (dateError) fieldError("obs-date", "obs-date-error", dateError, errors);
  const lps = number($("obs-discharge").value);
  const method = $("obs-method").value;
  if (lps !== null && (isNaN(lps) || lps < 0)) fieldError("obs-discharge", "obs-discharge-error", L.negative, errors);
  else if (lps !== null && !method) fieldError("obs-method", "obs-discharge-error", L.needMethod, errors);
  else if (checkUnusual() && !$("obs-confirm-unusual").checked) {
    fieldError("obs-discharge", "obs-discharge-error", L.confirmUnusual, errors);
  }
  const people = readRows("people", ["role", "name", "organisation", "count", "is_woman"]);
  const followUps = readRows("follow-ups", ["action", "responsible", "due_date"])
    .filter((f) => f.action.trim() || f.responsible.trim() || f.due_date);
  followUps.forEach((f) => { if (!f.action.trim()) errors.push(cfg.fields.action + ": " + L.required); });
  if (showErrors("observation-errors", errors)) return;

  const o = editing.observation;
  const checked = document.querySelector("#obs-functionality input:checked");
  o.observed_on = date;
  o.functionality = checked ? checked.value : "unknown";
  o.discharge_lps = lps === null ? "" : String(lps);
  o.discharge_method = method;
  o.confirmedUnusual = $("obs-confirm-unusual").checked && checkUnusual();
  o.bucket = { litres: $("bucket-litres").value, timings: readRows("bucket-timings", ["seconds"]).map((r) => r.seconds).filter(Boolean) };
  o.works_progress = $("obs-works").value;
  o.findings = $("obs-findings").value;
  o.people = people;
  o.followUps = followUps;
  o.photos = Array.prototype.map.call($("photos").children, (row) => ({
    uuid: row.dataset.uuid, caption: row.querySelector("[data-name=caption]").value,
  }));
  o.position = editing.position;
  if (editing.isNew) current.draft.observations.push(o);
  const removed = editing.removedPhotos;
  editing = null;
  Promise.all(removed.map((uuid) => store.remove("photos", uuid)))
    .then(() => saveDraft())
    .then(() => {
      renderObservations();
      show("visit-view");
    });
}

function cancelObservation() {
  const added = editing.addedPhotos;
  editing = null;
  Promise.all(added.map((uuid) => store.remove("photos", uuid))).then(() => saveDraft()).then(() => show("visit-view"));
}

/* Every button and field of the forms, wired once at start-up. */
export function wireForms() {
  fillSelect($("obs-method"), cfg.methods);
  $("new-visit").addEventListener("click", () => openVisit(null));
  $("visit-form").addEventListener("submit", queueVisit);
  $("save-draft").addEventListener("click", closeVisit);
  $("close-visit").addEventListener("click", closeVisit);
  // Every field is kept on the phone as it is typed (and when a row or photo is removed).
  $("visit-form").addEventListener("input", () => { saveDraft(); });
  $("visit-form").addEventListener("change", () => { saveDraft(); });
  $("observation-form").addEventListener("input", () => { saveDraft(); });
  $("observation-form").addEventListener("change", () => { saveDraft(); });
  $("observation-form").addEventListener("click", (event) => {
    if (event.target.closest(".remove-row")) saveDraft();
  });
  $("add-kehriz").addEventListener("click", openPicker);
  $("close-picker").addEventListener("click", () => show("visit-view"));
  $("kehriz-search").addEventListener("input", renderChoices);
  $("observation-form").addEventListener("submit", saveObservation);
  $("cancel-observation").addEventListener("click", cancelObservation);
  $("obs-method").addEventListener("change", updateMethod);
  $("obs-discharge").addEventListener("input", checkUnusual);
  $("bucket-litres").addEventListener("input", computeBucket);
  $("bucket-timings").addEventListener("input", computeBucket);
  $("add-timing").addEventListener("click", () => addRow("bucket-timings", "timing-template").querySelector("input").focus());
  $("stopwatch").addEventListener("click", toggleStopwatch);
  $("add-person").addEventListener("click", () => addRow("people", "person-template").querySelector("select").focus());
  $("add-follow-up").addEventListener("click", () => addRow("follow-ups", "follow-up-template").querySelector("textarea").focus());
  $("photo-input").addEventListener("change", addPhotos);
  $("locate").addEventListener("click", recordPosition);
  $("clear-position").addEventListener("click", () => { editing.position = null; renderPosition(); });
}
