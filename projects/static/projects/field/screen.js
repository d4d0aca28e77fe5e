/* What the officer sees: small DOM helpers, the four views, and the home view's list of the
 * visits on this phone with each one's state. Every text from a user or the server goes in as
 * text (textContent), never as HTML. */
import { cfg, L } from "./config.js";
import { store } from "./storage.js";
import { openVisit } from "./forms.js";
import { isUnderWay, renderAndSync, requeue, state } from "./send.js";

export const app = document.getElementById("field-app");

export function $(id) { return document.getElementById(id); }

export function fmt(text, params) {
  return String(text).replace(/%\((\w+)\)s/g, (_, key) => (params && params[key] !== undefined ? params[key] : ""));
}

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((key) => {
    if (key === "text") node.textContent = attrs[key];
    else if (key === "className") node.className = attrs[key];
    else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), attrs[key]);
    else node.setAttribute(key, attrs[key]);
  });
  (children || []).forEach((child) => {
    if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

export function uuid4() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.prototype.map.call(bytes, (b) => (b + 0x100).toString(16).slice(1)).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

export function today() {
  const now = new Date();
  const month = String(now.getMonth() + 1).padStart(2, "0");
  return now.getFullYear() + "-" + month + "-" + String(now.getDate()).padStart(2, "0");
}

export function choiceLabel(choices, value) {
  const found = choices.find((choice) => choice[0] === value);
  return found ? found[1] : value || "";
}

export function number(value) {
  if (value === "" || value === null || value === undefined) return null;
  const parsed = Number(String(value).replace(",", "."));
  return isNaN(parsed) ? NaN : parsed;
}

export function distanceM(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
  return 6371008.8 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
}

// A number shown to the officer as the pages write it: "1,6" in Azerbaijani (the separator comes
// from the server: Chromium has no Azerbaijani number data). Inputs keep what was typed.
export function decimal(text) { return String(text).replace(".", L.decimalSeparator || "."); }

export function km(metres) { return decimal((metres / 1000).toFixed(1)); }

export function show(viewId) {
  ["home-view", "visit-view", "picker-view", "observation-view", "map-view"].forEach((id) => {
    $(id).hidden = id !== viewId;
  });
  window.scrollTo(0, 0);
  const heading = $(viewId).querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

// --- The server's reasons, next to what they are about --------------------------------------------

export function errorMessages(error, draft) {
  const messages = [];
  const body = error && error.body;
  const label = (field) => (cfg.fields[field] === undefined ? field : cfg.fields[field]);
  function walk(value, prefix) {
    if (value === null || value === undefined) return;
    if (typeof value === "string") {
      messages.push(prefix ? prefix + ": " + value : value);
    } else if (Array.isArray(value)) {
      value.forEach((item) => walk(item, prefix));
    } else if (typeof value === "object") {
      Object.keys(value).forEach((field) => {
        const inner = value[field];
        // Errors of one observation are keyed by its position: {"observations": {"1": {…}}}.
        if (field === "observations" && inner && typeof inner === "object" && !Array.isArray(inner)) {
          Object.keys(inner).forEach((index) => {
            const obs = draft && draft.observations[Number(index)];
            walk(inner[index], obs ? obs.kehrizName : label(field));
          });
          return;
        }
        // People met and follow-ups: {"people_met": {"0": {…}}}; the position adds nothing.
        if (/^\d+$/.test(field)) {
          walk(inner, prefix);
          return;
        }
        walk(inner, [prefix, label(field)].filter(Boolean).join(" · "));
      });
    }
  }
  if (body === undefined || body === null || body === "") {
    messages.push(fmt(L.serverError, { status: error ? error.status : "?" }));
  } else {
    walk(body, "");
  }
  return messages;
}

// --- Home: the visits on this phone ----------------------------------------------------------------

export function renderVisits() {
  return Promise.all([store.all("visits"), store.all("photos")]).then(([everyone, allPhotos]) => {
    const list = $("visit-list");
    list.textContent = "";
    // Only the officer's own visits are shown (and sent); another officer's wait, locked, and the
    // app only says whose they are and how many.
    const visits = everyone.filter((v) => cfg.user && v.user === cfg.user);
    const own = new Set(visits.map((v) => v.uuid));
    const photos = allPhotos.filter((p) => own.has(p.visitUuid));
    renderOthers(everyone);
    visits.sort((a, b) => b.createdAt - a.createdAt);
    const waiting = visits.filter((v) => v.state === "queued").length;
    // A refused visit's photos do not wait: they go once the visit is sent again.
    const going = new Set(visits.filter((v) => v.state === "queued" || v.state === "sent").map((v) => v.uuid));
    const photosWaiting = photos.filter((p) => p.state === "waiting" && going.has(p.visitUuid)).length;
    $("waiting-count").textContent = String(waiting);
    app.dataset.waiting = String(waiting);
    app.dataset.photosWaiting = String(photosWaiting);
    app.dataset.refused = String(visits.filter((v) => v.state === "refused").length +
      photos.filter((p) => p.state === "refused").length);
    $("photos-waiting").textContent = photosWaiting ? "· " + fmt(L.photosWaiting, { count: photosWaiting }) : "";
    // The sync bar only when something waits, is being sent or was refused, or a sign-in is needed.
    $("sync-bar").hidden = !(waiting || photosWaiting || app.dataset.refused !== "0" || state.authNeeded);
    if (!visits.length && $("others-waiting").hidden) list.appendChild(el("li", { className: "empty", text: L.noVisits }));
    visits.forEach((record) => {
      list.appendChild(visitCard(record, photos.filter((p) => p.visitUuid === record.uuid)));
    });
  });
}

/* How much of a waiting photo the server has: "Photo 2: 12 of 40 kB sent", with a bar. */
function photoProgress(uuid, number, sent, total) {
  const bar = el("progress", { max: String(total || 1), value: String(sent) });
  return el("p", { className: "photo-progress", "data-photo": uuid, "data-number": String(number) }, [
    el("span", { text: fmt(L.photoProgress, { number: number, sent: Math.floor(sent / 1000), total: Math.ceil(total / 1000) }) }),
    " ",
    bar,
  ]);
}

/* Move a waiting photo's progress on, while it is being sent (upload.js calls this per chunk). */
export function showPhotoProgress(uuid, sent, total) {
  const line = document.querySelector('.photo-progress[data-photo="' + uuid + '"]');
  if (line) line.replaceWith(photoProgress(uuid, Number(line.dataset.number), sent, total));
}

/* "Waiting on this phone for rauf: 2 visits; they go when rauf signs in." for each other officer
 * with visits not yet sent (drafts, queued or refused). */
function renderOthers(everyone) {
  const box = $("others-waiting");
  box.textContent = "";
  const counts = {};
  everyone.forEach((v) => {
    if (v.user !== cfg.user && v.state !== "sent") counts[v.user] = (counts[v.user] || 0) + 1;
  });
  Object.keys(counts).sort().forEach((user) => {
    box.appendChild(el("p", { className: "notice other-officer", "data-user": user,
      text: fmt(L.othersWaiting, { user: user, count: counts[user] }) }));
  });
  box.hidden = !box.childNodes.length;
  app.dataset.othersWaiting = String(Object.values(counts).reduce((a, b) => a + b, 0));
}

function visitCard(record, photos) {
  const draft = record.draft;
  const dates = draft.start_date + (draft.end_date && draft.end_date !== draft.start_date ? " – " + draft.end_date : "");
  const card = el("li", { className: "card visit-card state-" + record.state, "data-uuid": record.uuid, "data-state": record.state }, [
    el("h3", { text: draft.title || "—" }),
    el("p", { className: "meta" }, [dates + " · " + fmt(L.kehrizCount, { count: draft.observations.length })]),
    el("p", { className: "state" }, [el("strong", { text: L[record.state] || record.state })]),
  ]);
  const names = draft.observations.map((o) => o.kehrizName).join(", ");
  if (names) card.appendChild(el("p", { className: "names", text: names }));
  const sentPhotos = photos.filter((p) => p.state === "sent").length;
  const waitingPhotos = photos.filter((p) => p.state === "waiting").length;
  const bits = [];
  if (waitingPhotos) bits.push(fmt(L.photosWaiting, { count: waitingPhotos }));
  if (sentPhotos) bits.push(fmt(L.photosSent, { count: sentPhotos }));
  if (bits.length) card.appendChild(el("p", { className: "photos-state", text: bits.join(" · ") }));
  photos.filter((p) => p.state === "waiting").forEach((photo, index) => {
    card.appendChild(photoProgress(photo.uuid, index + 1, photo.sentBytes || 0, photo.blob ? photo.blob.size : 0));
  });
  // How this visit's last try went, and each waiting photo's.
  if (record.state === "queued") {
    const line = isUnderWay(record.uuid) ? L.sending : failureText(record.failure);
    if (line) card.appendChild(el("p", { className: "attempt", text: line }));
  }
  photos.filter((p) => p.state === "waiting").forEach((photo, index) => {
    const line = isUnderWay(photo.uuid) ? L.sending : failureText(photo.failure);
    if (line) {
      card.appendChild(el("p", { className: "attempt photo-attempt", "data-photo": photo.uuid,
        text: fmt(L.photoAttempt, { number: index + 1, state: line }) }));
    }
  });
  if (record.notice) card.appendChild(el("p", { className: "notice", text: record.notice }));

  const actions = el("div", { className: "actions" });
  if (record.state === "refused") {
    const reasons = el("ul", { className: "reasons", role: "alert" });
    errorMessages(record.error, draft).forEach((message) => reasons.appendChild(el("li", { text: message })));
    card.appendChild(reasons);
    actions.appendChild(el("button", { type: "button", className: "primary fix", text: L.fix, onclick: () => openVisit(record) }));
    actions.appendChild(el("button", { type: "button", className: "secondary resend", text: L.retry, onclick: () => requeue(record.uuid) }));
  }
  if (record.state === "draft") {
    actions.appendChild(el("button", { type: "button", className: "primary edit", text: L.edit, onclick: () => openVisit(record) }));
  }
  if (record.state === "draft" || record.state === "refused") {
    actions.appendChild(el("button", { type: "button", className: "link discard", text: L.discard, onclick: () => discardVisit(record) }));
  }
  if (record.state === "sent") {
    draft.observations.forEach((o) => {
      actions.appendChild(el("a", { href: cfg.urls.kehrizPage.replace("/0/", "/" + o.kehriz + "/"), text: o.kehrizName }));
    });
  }
  photos.filter((p) => p.state === "refused").forEach((photo) => {
    const reason = errorMessages(photo.error, null).join(" ");
    card.appendChild(el("p", { className: "reasons photo-refused", role: "alert", text: fmt(L.photoRefused, { reason: reason }) }));
    actions.appendChild(el("button", { type: "button", className: "secondary", text: L.retry, onclick: () => {
      store.update("photos", photo.uuid, (p) => { p.state = "waiting"; p.error = null; p.attempts = 0; p.nextAttemptAt = 0; }).then(renderAndSync);
    } }));
    actions.appendChild(el("button", { type: "button", className: "link", text: L.discardPhoto, onclick: () => {
      if (window.confirm(L.confirmDiscardPhoto)) store.remove("photos", photo.uuid).then(renderVisits);
    } }));
  });
  if (actions.childNodes.length) card.appendChild(actions);
  return card;
}

/* Why the last try of a visit or photo failed, as the officer is told (it is tried again). */
function failureText(failure) {
  if (!failure) return "";
  if (failure.kind === "server") return fmt(L.serverProblem, { status: failure.status || "?" });
  if (failure.kind === "timeout") return L.noAnswer;
  return L.noConnection;
}

function discardVisit(record) {
  if (!window.confirm(L.confirmDiscard)) return;
  store.photosOf(record.uuid)
    .then((photos) => Promise.all(photos.map((p) => store.remove("photos", p.uuid))))
    .then(() => store.remove("visits", record.uuid))
    .then(renderVisits);
}
