/* The field app: log monitoring visits on a phone, with or without signal.
 *
 * Everything is saved on the phone first (IndexedDB, see store.js) with the visit's own UUID,
 * then sent to the API's idempotent visit creation; photos follow once their visit is stored.
 * A visit shows as sent only after the server confirmed it; a refused one keeps the server's
 * reason until it is fixed or discarded. Nothing is removed without the officer asking. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("field-config").textContent);
  var L = cfg.labels;
  var store = window.kehrizStore;
  var folding = window.kehrizFold;
  var app = document.getElementById("field-app");

  var kehrizList = [];
  var kehrizById = {};
  var districts = {};
  var position = null; // {lat, lon, accuracy, at}
  var current = null; // the visit record being edited
  var editing = null; // {observation draft, isNew, addedPhotos: [uuid]}
  var syncing = false;
  var failures = 0;
  var retryTimer = null;
  var authNeeded = false;

  // --- Small helpers ----------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function fmt(text, params) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, key) {
      return params && params[key] !== undefined ? params[key] : "";
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function today() {
    var now = new Date();
    var month = String(now.getMonth() + 1).padStart(2, "0");
    return now.getFullYear() + "-" + month + "-" + String(now.getDate()).padStart(2, "0");
  }

  function choiceLabel(choices, value) {
    for (var i = 0; i < choices.length; i++) if (choices[i][0] === value) return choices[i][1];
    return value || "";
  }

  function number(value) {
    if (value === "" || value === null || value === undefined) return null;
    var parsed = Number(String(value).replace(",", "."));
    return isNaN(parsed) ? NaN : parsed;
  }

  function distanceM(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad;
    var dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 6371008.8 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  }

  // A number shown to the officer as the pages write it: "1,6" in Azerbaijani (the separator comes
  // from the server: Chromium has no Azerbaijani number data). Inputs keep what was typed.
  function decimal(text) { return String(text).replace(".", L.decimalSeparator || "."); }

  function km(metres) { return decimal((metres / 1000).toFixed(1)); }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show(viewId) {
    ["home-view", "visit-view", "picker-view", "observation-view"].forEach(function (id) {
      $(id).hidden = id !== viewId;
    });
    window.scrollTo(0, 0);
    var heading = $(viewId).querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }

  // --- The kəhriz list (from the server, kept by the service worker) ----------------------------

  function loadKehriz() {
    return fetch(cfg.urls.kehriz, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) authNeeded = true;
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        kehrizList = data.kehriz;
        districts = data.districts;
        kehrizById = {};
        kehrizList.forEach(function (k) { kehrizById[k.id] = k; });
        app.dataset.kehriz = String(kehrizList.length);
      })
      .catch(function () {
        app.dataset.kehriz = "failed";
      });
  }

  function locate() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        function (found) {
          position = {
            lat: found.coords.latitude,
            lon: found.coords.longitude,
            accuracy: found.coords.accuracy,
            at: Date.now(),
          };
          resolve(position);
        },
        function (error) { resolve({ error: error.message || String(error.code) }); },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }

  // --- Home: visits on this phone, and sending them ----------------------------------------------

  function stateLabel(record) {
    return L[record.state] || record.state;
  }

  function errorMessages(error, draft) {
    var messages = [];
    var body = error && error.body;
    function label(field) {
      var name = cfg.fields[field];
      return name === undefined ? field : name;
    }
    function walk(value, prefix) {
      if (value === null || value === undefined) return;
      if (typeof value === "string") {
        messages.push(prefix ? prefix + ": " + value : value);
      } else if (Array.isArray(value)) {
        value.forEach(function (item) { walk(item, prefix); });
      } else if (typeof value === "object") {
        Object.keys(value).forEach(function (field) {
          var inner = value[field];
          // Errors of one observation are keyed by its position: {"observations": {"1": {…}}}.
          if (field === "observations" && inner && typeof inner === "object" && !Array.isArray(inner)) {
            Object.keys(inner).forEach(function (index) {
              var obs = draft && draft.observations[Number(index)];
              walk(inner[index], obs ? obs.kehrizName : label(field));
            });
            return;
          }
          // People met and follow-ups: {"people_met": {"0": {…}}}; the position adds nothing.
          if (/^\d+$/.test(field)) {
            walk(inner, prefix);
            return;
          }
          var name = label(field);
          walk(inner, [prefix, name].filter(Boolean).join(" · "));
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

  function renderVisits() {
    return Promise.all([store.all("visits"), store.all("photos")]).then(function (found) {
      var visits = found[0];
      var photos = found[1];
      var list = $("visit-list");
      list.textContent = "";
      visits.sort(function (a, b) { return b.createdAt - a.createdAt; });
      var waiting = visits.filter(function (v) { return v.state === "queued"; }).length;
      var photosWaiting = photos.filter(function (p) { return p.state === "waiting"; }).length;
      $("waiting-count").textContent = String(waiting);
      app.dataset.waiting = String(waiting);
      app.dataset.photosWaiting = String(photosWaiting);
      app.dataset.refused = String(visits.filter(function (v) { return v.state === "refused"; }).length +
        photos.filter(function (p) { return p.state === "refused"; }).length);
      $("photos-waiting").textContent = photosWaiting ? "· " + fmt(L.photosWaiting, { count: photosWaiting }) : "";
      // The sync bar only when something waits, is being sent or was refused, or a sign-in is needed.
      $("sync-bar").hidden = !(waiting || photosWaiting || app.dataset.refused !== "0" || authNeeded);
      if (!visits.length) list.appendChild(el("li", { className: "empty", text: L.noVisits }));
      visits.forEach(function (record) {
        list.appendChild(visitCard(record, photos.filter(function (p) { return p.visitUuid === record.uuid; })));
      });
    });
  }

  function visitCard(record, photos) {
    var draft = record.draft;
    var dates = draft.start_date + (draft.end_date && draft.end_date !== draft.start_date ? " – " + draft.end_date : "");
    var card = el("li", { className: "card visit-card state-" + record.state, "data-uuid": record.uuid, "data-state": record.state }, [
      el("h3", { text: draft.title || "—" }),
      el("p", { className: "meta" }, [
        dates + " · " + fmt(L.kehrizCount, { count: draft.observations.length }),
      ]),
      el("p", { className: "state" }, [el("strong", { text: stateLabel(record) })]),
    ]);
    var names = draft.observations.map(function (o) { return o.kehrizName; }).join(", ");
    if (names) card.appendChild(el("p", { className: "names", text: names }));
    if (record.user !== cfg.user) {
      card.appendChild(el("p", { className: "notice", text: fmt(L.otherUser, { user: record.user }) }));
    }
    var sentPhotos = photos.filter(function (p) { return p.state === "sent"; }).length;
    var waitingPhotos = photos.filter(function (p) { return p.state === "waiting"; }).length;
    var bits = [];
    if (waitingPhotos) bits.push(fmt(L.photosWaiting, { count: waitingPhotos }));
    if (sentPhotos) bits.push(fmt(L.photosSent, { count: sentPhotos }));
    if (bits.length) card.appendChild(el("p", { className: "photos-state", text: bits.join(" · ") }));
    if (record.notice) card.appendChild(el("p", { className: "notice", text: record.notice }));

    var actions = el("div", { className: "actions" });
    if (record.state === "refused") {
      var reasons = el("ul", { className: "reasons", role: "alert" });
      errorMessages(record.error, draft).forEach(function (message) {
        reasons.appendChild(el("li", { text: message }));
      });
      card.appendChild(reasons);
      actions.appendChild(el("button", { type: "button", className: "primary fix", text: L.fix, onclick: function () { openVisit(record); } }));
      actions.appendChild(el("button", { type: "button", className: "secondary resend", text: L.retry, onclick: function () { requeue(record.uuid); } }));
    }
    if (record.state === "draft") {
      actions.appendChild(el("button", { type: "button", className: "primary edit", text: L.edit, onclick: function () { openVisit(record); } }));
    }
    if (record.state === "draft" || record.state === "refused") {
      actions.appendChild(el("button", { type: "button", className: "link discard", text: L.discard, onclick: function () { discardVisit(record); } }));
    }
    if (record.state === "sent") {
      draft.observations.forEach(function (o) {
        actions.appendChild(el("a", { href: cfg.urls.kehrizPage.replace("/0/", "/" + o.kehriz + "/"), text: o.kehrizName }));
      });
    }
    photos.filter(function (p) { return p.state === "refused"; }).forEach(function (photo) {
      var reason = errorMessages(photo.error, null).join(" ");
      card.appendChild(el("p", { className: "reasons photo-refused", role: "alert", text: fmt(L.photoRefused, { reason: reason }) }));
      actions.appendChild(el("button", { type: "button", className: "secondary", text: L.retry, onclick: function () {
        store.update("photos", photo.uuid, function (p) { p.state = "waiting"; p.error = null; p.attempts = 0; p.nextAttemptAt = 0; }).then(renderAndSync);
      } }));
      actions.appendChild(el("button", { type: "button", className: "link", text: L.discardPhoto, onclick: function () {
        if (window.confirm(L.confirmDiscardPhoto)) store.remove("photos", photo.uuid).then(renderVisits);
      } }));
    });
    if (actions.childNodes.length) card.appendChild(actions);
    return card;
  }

  function discardVisit(record) {
    if (!window.confirm(L.confirmDiscard)) return;
    store.photosOf(record.uuid).then(function (photos) {
      return Promise.all(photos.map(function (p) { return store.remove("photos", p.uuid); }));
    }).then(function () { return store.remove("visits", record.uuid); }).then(renderVisits);
  }

  function requeue(uuid) {
    store.update("visits", uuid, function (record) {
      record.state = "queued";
      record.error = null;
      record.attempts = 0;
      record.nextAttemptAt = 0;
      record.editedAfterRefusal = true;
    }).then(renderAndSync);
  }

  function renderAndSync() {
    return renderVisits().then(function () { sync(); });
  }

  // --- Sending ------------------------------------------------------------------------------------

  function toPayload(record) {
    var d = record.draft;
    function text(value) { return (value || "").trim(); }
    return {
      uuid: record.uuid,
      title: text(d.title),
      start_date: d.start_date,
      end_date: d.end_date || null,
      purpose: text(d.purpose),
      organisations: text(d.organisations),
      participants: text(d.participants),
      observations: d.observations.map(function (o) {
        var lps = number(o.discharge_lps);
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
          people_met: o.people.map(function (p) {
            return {
              role: p.role,
              name: text(p.name),
              organisation: text(p.organisation),
              count: p.count ? parseInt(p.count, 10) : null,
              is_woman: p.is_woman === "true" ? true : p.is_woman === "false" ? false : null,
            };
          }),
          follow_ups: o.followUps.map(function (f) {
            return { action: text(f.action), responsible: text(f.responsible), due_date: f.due_date || null };
          }),
        };
      }),
    };
  }

  function request(url, options, timeoutMs) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, timeoutMs) : null;
    options.credentials = "same-origin";
    // X-Kehriz-Client names the field app as the door of the versions its visits write
    // (projects/history.py).
    options.headers = Object.assign({
      Accept: "application/json", "X-CSRFToken": csrfToken(), "Accept-Language": cfg.language,
      "X-Kehriz-Client": "field-app",
    }, options.headers || {});
    if (controller) options.signal = controller.signal;
    // The whole answer must arrive: a connection cut while reading the body is a failure too.
    return fetch(url, options).then(function (response) {
      return response.text().then(function (body) {
        clearTimeout(timer);
        var parsed = body;
        try { parsed = body ? JSON.parse(body) : null; } catch (e) { /* not JSON: keep the text */ }
        return { status: response.status, body: parsed };
      });
    }, function (error) { clearTimeout(timer); throw error; });
  }

  function isRefusal(status) {
    return status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;
  }

  function later(storeName, uuid, status) {
    return store.update(storeName, uuid, function (record) {
      record.attempts = (record.attempts || 0) + 1;
      record.nextAttemptAt = Date.now() + backoff(record.attempts);
      record.lastStatus = status;
    });
  }

  function sendVisit(record) {
    return request(cfg.urls.visits, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(toPayload(record)),
    }, 60000).then(function (answer) {
      if ((answer.status === 200 || answer.status === 201) && answer.body && answer.body.uuid === record.uuid) {
        return store.update("visits", record.uuid, function (r) {
          r.state = "sent";
          r.sentAt = Date.now();
          r.serverId = answer.body.id;
          r.error = null;
          r.observationIds = {};
          (answer.body.observations || []).forEach(function (o) { r.observationIds[o.kehriz] = o.id; });
          if (answer.status === 200 && r.editedAfterRefusal) r.notice = L.alreadyStored || null;
        }).then(function () { return "ok"; });
      }
      if (answer.status === 401) return "auth";
      if (isRefusal(answer.status)) {
        return store.update("visits", record.uuid, function (r) {
          r.state = "refused";
          r.error = { status: answer.status, body: answer.body };
        }).then(function () { return "refused"; });
      }
      return later("visits", record.uuid, answer.status).then(function () { return "later"; });
    }, function () { return "network"; });
  }

  function sendPhoto(photo, visit) {
    var observation = visit.observationIds && visit.observationIds[photo.kehriz];
    if (!observation) {
      return store.update("photos", photo.uuid, function (p) {
        p.state = "refused";
        p.error = { status: 0, body: cfg.fields.observations };
      }).then(function () { return "refused"; });
    }
    var form = new FormData();
    form.append("uuid", photo.uuid);
    form.append("observation", String(observation));
    form.append("image", photo.blob, photo.uuid + ".jpg");
    form.append("caption", photo.caption || "");
    if (photo.takenAt) form.append("taken_at", photo.takenAt);
    return request(cfg.urls.photos, { method: "POST", body: form }, 180000).then(function (answer) {
      if ((answer.status === 200 || answer.status === 201) && answer.body && answer.body.uuid === photo.uuid) {
        return store.update("photos", photo.uuid, function (p) {
          p.state = "sent";
          p.blob = null; // stored on the server: free the phone's space
          p.serverId = answer.body.id;
        }).then(function () { return "ok"; });
      }
      if (answer.status === 401) return "auth";
      if (isRefusal(answer.status)) {
        return store.update("photos", photo.uuid, function (p) {
          p.state = "refused";
          p.error = { status: answer.status, body: answer.body };
        }).then(function () { return "refused"; });
      }
      return later("photos", photo.uuid, answer.status).then(function () { return "later"; });
    }, function () { return "network"; });
  }

  function backoff(attempts) {
    var seconds = Math.min(cfg.retry.max, cfg.retry.first * Math.pow(2, Math.max(0, attempts - 1)));
    return seconds * 1000 * (0.8 + Math.random() * 0.2);
  }

  function due(record) { return !record.nextAttemptAt || record.nextAttemptAt <= Date.now(); }

  /* Send what is waiting, visits first (oldest first), then the photos of sent visits. Stops at
   * the first network failure and tries again later, waiting longer after each failure. */
  function sendAll() {
    return store.all("visits").then(function (visits) {
      var mine = visits.filter(function (v) { return v.user === cfg.user; });
      var queued = mine.filter(function (v) { return v.state === "queued" && due(v); });
      queued.sort(function (a, b) { return a.createdAt - b.createdAt; });
      var chain = Promise.resolve("ok");
      queued.forEach(function (record) {
        chain = chain.then(function (outcome) {
          if (outcome === "network" || outcome === "auth") return outcome;
          return sendVisit(record).then(function (result) {
            if (result === "ok") failures = 0;
            return renderVisits().then(function () { return result; });
          });
        });
      });
      return chain.then(function (outcome) {
        if (outcome === "network" || outcome === "auth") return outcome;
        return Promise.all([store.all("visits"), store.all("photos")]).then(function (found) {
          var sent = {};
          found[0].forEach(function (v) { if (v.state === "sent" && v.user === cfg.user) sent[v.uuid] = v; });
          var photos = found[1].filter(function (p) { return p.state === "waiting" && sent[p.visitUuid] && due(p); });
          var photoChain = Promise.resolve("ok");
          photos.forEach(function (photo) {
            photoChain = photoChain.then(function (result) {
              if (result === "network" || result === "auth") return result;
              return sendPhoto(photo, sent[photo.visitUuid]).then(function (r) {
                if (r === "ok") failures = 0;
                return renderVisits().then(function () { return r; });
              });
            });
          });
          return photoChain;
        });
      });
    });
  }

  function sync() {
    if (syncing) return Promise.resolve();
    syncing = true;
    clearTimeout(retryTimer);
    app.dataset.syncing = "1";
    $("sync-message").textContent = L.sending;
    var run = function () {
      return sendAll().then(function (outcome) {
        authNeeded = outcome === "auth";
        if (outcome === "network") failures += 1;
        return outcome;
      });
    };
    var work = navigator.locks
      ? navigator.locks.request("kehriz-field-sync", { ifAvailable: true }, function (lock) { return lock ? run() : "busy"; })
      : run();
    return work.catch(function () { failures += 1; return "network"; }).then(function (outcome) {
      syncing = false;
      app.dataset.syncing = "0";
      return renderVisits().then(function () { return schedule(outcome); });
    });
  }

  /* When to try again: after a network failure, 2 s, 4 s, 8 s… up to the longest wait; after a
   * server error, when the record that failed is due. */
  function schedule(outcome) {
    clearTimeout(retryTimer);
    $("sign-in-again").hidden = !authNeeded;
    if (authNeeded) $("sync-bar").hidden = false;
    return Promise.all([store.all("visits"), store.all("photos")]).then(function (found) {
      var mine = found[0].filter(function (v) { return v.user === cfg.user; });
      var sentUuids = {};
      mine.forEach(function (v) { if (v.state === "sent") sentUuids[v.uuid] = true; });
      var pending = mine.filter(function (v) { return v.state === "queued"; })
        .concat(found[1].filter(function (p) { return p.state === "waiting" && sentUuids[p.visitUuid]; }));
      var message = "";
      if (!pending.length || authNeeded) {
        var refused = mine.some(function (v) { return v.state === "refused"; }) ||
          found[1].some(function (p) { return p.state === "refused"; });
        $("sync-message").textContent = authNeeded ? L.signIn
          : refused ? L.refusedSome : (found[0].length ? L.waitingNone : "");
        return;
      }
      var delay;
      if (outcome === "network" || failures > 0) {
        delay = backoff(failures);
        message = L.offline + " ";
      } else {
        var next = Math.min.apply(null, pending.map(function (r) { return r.nextAttemptAt || 0; }));
        delay = Math.max(1000, next - Date.now());
      }
      message += fmt(L.retryIn, { seconds: Math.round(delay / 1000) });
      $("sync-message").textContent = message;
      retryTimer = setTimeout(sync, delay);
    });
  }

  function sendNow() {
    failures = 0;
    Promise.all([store.all("visits"), store.all("photos")]).then(function (found) {
      var resets = [];
      found[0].concat(found[1]).forEach(function (r) {
        if (r.nextAttemptAt) resets.push(store.update(r.blob !== undefined ? "photos" : "visits", r.uuid, function (x) { x.nextAttemptAt = 0; }));
      });
      return Promise.all(resets);
    }).then(function () { sync(); });
  }

  // --- A visit ------------------------------------------------------------------------------------

  var VISIT_FIELDS = { title: "visit-title", start_date: "visit-start", end_date: "visit-end", purpose: "visit-purpose", organisations: "visit-organisations", participants: "visit-participants" };

  function openVisit(record) {
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
    Object.keys(VISIT_FIELDS).forEach(function (name) { $(VISIT_FIELDS[name]).value = record.draft[name] || ""; });
    $("visit-start").max = today();
    clearErrors("visit-form");
    renderObservations();
    show("visit-view");
  }

  function readVisitFields() {
    Object.keys(VISIT_FIELDS).forEach(function (name) { current.draft[name] = $(VISIT_FIELDS[name]).value; });
  }

  function saveDraft() {
    if (!current) return Promise.resolve();
    readVisitFields();
    if (current.state === "draft" || current.state === "refused") return store.put("visits", current);
    return Promise.resolve();
  }

  function renderObservations() {
    var list = $("observation-list");
    list.textContent = "";
    current.draft.observations.forEach(function (o, index) {
      var summary = [choiceLabel(cfg.functionalities, o.functionality)];
      if (number(o.discharge_lps) !== null) summary.push(fmt(L.litresPerSecond, { value: decimal(number(o.discharge_lps)) }));
      if (o.photos.length) summary.push("📷 " + o.photos.length);
      list.appendChild(el("li", { className: "card observation-card", "data-kehriz": String(o.kehriz) }, [
        el("h3", { text: o.kehrizName }),
        el("p", { className: "meta", text: summary.join(" · ") }),
        el("div", { className: "actions" }, [
          el("button", { type: "button", className: "secondary", text: L.edit, onclick: function () { openObservation(o, false); } }),
          el("button", { type: "button", className: "link", text: L.remove, onclick: function () { removeObservation(index); } }),
        ]),
      ]));
    });
  }

  function removeObservation(index) {
    var removed = current.draft.observations.splice(index, 1)[0];
    Promise.all(removed.photos.map(function (p) { return store.remove("photos", p.uuid); }))
      .then(saveDraft).then(renderObservations);
  }

  function clearErrors(formId) {
    var form = $(formId);
    form.querySelectorAll(".error").forEach(function (node) { node.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
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
    var box = $(boxId);
    box.textContent = "";
    if (!errors.length) return false;
    var list = el("ul");
    errors.forEach(function (message) { list.appendChild(el("li", { text: message })); });
    box.appendChild(list);
    box.focus();
    return true;
  }

  function validateVisit() {
    clearErrors("visit-form");
    readVisitFields();
    var d = current.draft;
    var errors = [];
    if (!d.title.trim()) fieldError("visit-title", "visit-title-error", L.required, errors);
    if (!d.start_date) fieldError("visit-start", "visit-start-error", L.required, errors);
    else if (d.start_date > today()) fieldError("visit-start", "visit-start-error", L.futureVisit, errors);
    if (d.end_date && d.start_date && d.end_date < d.start_date) fieldError("visit-end", "visit-end-error", L.endBeforeStart, errors);
    if (!d.observations.length) fieldError(null, "visit-observations-error", L.noKehrizAdded, errors);
    d.observations.forEach(function (o) {
      var message = observationDateError(o.observed_on, d);
      if (message) errors.push(fmt(L.observationOf, { kehriz: o.kehrizName, message: message }));
    });
    return !showErrors("visit-errors", errors);
  }

  function queueVisit(event) {
    event.preventDefault();
    if (!validateVisit()) return;
    var record = current;
    var wasRefused = record.state === "refused";
    record.state = "queued";
    record.error = null;
    record.attempts = 0;
    record.nextAttemptAt = 0;
    if (wasRefused) record.editedAfterRefusal = true;
    var captions = {};
    record.draft.observations.forEach(function (o) {
      o.photos.forEach(function (p) { captions[p.uuid] = { caption: p.caption, kehriz: o.kehriz }; });
    });
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    store.put("visits", record).then(function () {
      return store.photosOf(record.uuid);
    }).then(function (photos) {
      return Promise.all(photos.map(function (photo) {
        if (!captions[photo.uuid]) return store.remove("photos", photo.uuid);
        return store.update("photos", photo.uuid, function (p) {
          p.caption = captions[p.uuid].caption;
          p.kehriz = captions[p.uuid].kehriz;
          if (p.state === "draft") p.state = "waiting";
        });
      }));
    }).then(function () {
      current = null;
      show("home-view");
      return renderAndSync();
    });
  }

  // --- Choosing a kəhriz ---------------------------------------------------------------------------

  function openPicker() {
    readVisitFields();
    $("kehriz-search").value = "";
    renderChoices();
    show("picker-view");
    $("kehriz-search").focus();
    locate().then(function () { if (!$("picker-view").hidden) renderChoices(); });
  }

  function renderChoices() {
    var list = $("kehriz-choices");
    list.textContent = "";
    var query = $("kehriz-search").value;
    var chosen = {};
    current.draft.observations.forEach(function (o) { chosen[o.kehriz] = true; });
    var here = position && position.lat !== undefined ? position : null;
    var rows = kehrizList.filter(function (k) { return !chosen[k.id] && folding.matches(query, k.search); })
      .map(function (k) {
        var away = here && k.lat !== null ? distanceM(here.lat, here.lon, k.lat, k.lon) : null;
        return { k: k, away: away };
      });
    rows.sort(function (a, b) {
      if (a.away !== null && b.away !== null) return a.away - b.away;
      if (a.away !== null) return -1;
      if (b.away !== null) return 1;
      return a.k.name.localeCompare(b.k.name, cfg.language);
    });
    $("picker-sort").textContent = app.dataset.kehriz === "failed" ? L.kehrizFailed
      : !kehrizList.length ? L.noDistricts : here ? L.sortedByDistance : L.sortedByName;
    if (kehrizList.length && !rows.length) list.appendChild(el("li", { className: "empty", text: L.noKehriz }));
    rows.slice(0, 100).forEach(function (row) {
      var k = row.k;
      var where = [k.village, districts[k.district]].filter(Boolean).join(", ");
      list.appendChild(el("li", {}, [
        el("button", { type: "button", className: "choice", "data-kehriz": String(k.id), onclick: function () { addKehriz(k); } }, [
          el("span", { className: "name", text: k.name }),
          el("span", { className: "where", text: [k.code, where].filter(Boolean).join(" · ") }),
          row.away !== null ? el("span", { className: "distance", text: fmt(L.km, { km: km(row.away) }) }) : null,
        ]),
      ]));
    });
  }

  function addKehriz(k) {
    var d = current.draft;
    var observation = {
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
    };
    openObservation(observation, true);
  }

  // --- One observation ---------------------------------------------------------------------------

  function fillSelect(select, choices) {
    choices.forEach(function (choice) { select.appendChild(el("option", { value: choice[0], text: choice[1] })); });
  }

  function addRow(listId, templateId, values) {
    var row = $(templateId).content.firstElementChild.cloneNode(true);
    var role = row.querySelector("select[data-name=role]");
    if (role) fillSelect(role, cfg.roles);
    Object.keys(values || {}).forEach(function (name) {
      var input = row.querySelector("[data-name=" + name + "]");
      if (input && values[name] !== null && values[name] !== undefined) input.value = String(values[name]);
    });
    row.querySelector(".remove-row").addEventListener("click", function () {
      row.remove();
      if (listId === "bucket-timings") computeBucket();
    });
    $(listId).appendChild(row);
    return row;
  }

  function readRows(listId, names) {
    return Array.prototype.map.call($(listId).children, function (row) {
      var values = {};
      names.forEach(function (name) { values[name] = row.querySelector("[data-name=" + name + "]").value; });
      return values;
    });
  }

  function openObservation(observation, isNew) {
    editing = { observation: observation, isNew: isNew, addedPhotos: [], removedPhotos: [] };
    clearErrors("observation-form");
    $("observation-kehriz").textContent = observation.kehrizName + (observation.kehrizCode ? " (" + observation.kehrizCode + ")" : "");
    $("obs-date").value = observation.observed_on;
    $("obs-date").max = today();
    var radios = $("obs-functionality");
    radios.textContent = "";
    cfg.functionalities.forEach(function (choice) {
      var input = el("input", { type: "radio", name: "functionality", value: choice[0] });
      if (choice[0] === observation.functionality) input.checked = true;
      radios.appendChild(el("label", { className: "radio" }, [input, " " + choice[1]]));
    });
    var method = $("obs-method");
    method.value = observation.discharge_method || "";
    $("obs-discharge").value = observation.discharge_lps || "";
    $("obs-confirm-unusual").checked = !!observation.confirmedUnusual;
    $("bucket-litres").value = observation.bucket.litres || "";
    $("bucket-timings").textContent = "";
    observation.bucket.timings.forEach(function (seconds) { addRow("bucket-timings", "timing-template", { seconds: seconds }); });
    $("obs-works").value = observation.works_progress;
    $("obs-findings").value = observation.findings;
    $("people").textContent = "";
    observation.people.forEach(function (p) { addRow("people", "person-template", p); });
    $("follow-ups").textContent = "";
    observation.followUps.forEach(function (f) { addRow("follow-ups", "follow-up-template", f); });
    $("photos").textContent = "";
    observation.photos.forEach(function (p) { showPhoto(p.uuid, p.caption); });
    editing.position = observation.position;
    renderPosition();
    updateMethod();
    checkUnusual();
    show("observation-view");
    if (isNew || !observation.position) recordPosition();
  }

  function recordPosition() {
    $("position-text").textContent = L.positionWaiting;
    var forObservation = editing;
    locate().then(function (found) {
      if (editing !== forObservation) return;
      if (!found || found.error) {
        if (!editing.position) $("position-text").textContent = fmt(L.positionNone, { reason: found ? found.error : "—" });
        return;
      }
      editing.position = { lat: found.lat, lon: found.lon, accuracy: found.accuracy };
      renderPosition();
    });
  }

  function renderPosition() {
    var p = editing.position;
    var outlet = editing.observation.outlet;
    $("far").hidden = true;
    app.dataset.far = "0";
    if (!p) {
      $("position-text").textContent = "";
      return;
    }
    var text = fmt(L.position, { lat: p.lat.toFixed(5), lon: p.lon.toFixed(5), accuracy: Math.round(p.accuracy) });
    if (outlet) {
      var away = distanceM(p.lat, p.lon, outlet.lat, outlet.lon);
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
    var litres = number($("bucket-litres").value);
    var timings = readRows("bucket-timings", ["seconds"]).map(function (r) { return number(r.seconds); })
      .filter(function (s) { return s !== null && !isNaN(s) && s > 0; });
    if (!litres || isNaN(litres) || litres <= 0 || !timings.length) {
      $("bucket-result").textContent = L.bucketNeed;
      return;
    }
    var average = timings.reduce(function (a, b) { return a + b; }, 0) / timings.length;
    var lps = (litres / average).toFixed(2);
    $("bucket-result").textContent = fmt(L.bucketResult, { lps: decimal(lps), count: timings.length, seconds: decimal(average.toFixed(1)) });
    $("obs-discharge").value = lps;
    checkUnusual();
  }

  var stopwatchStart = null;
  var stopwatchTimer = null;
  function toggleStopwatch() {
    var button = $("stopwatch");
    if (stopwatchStart === null) {
      stopwatchStart = Date.now();
      stopwatchTimer = setInterval(function () {
        button.textContent = L.stop + " (" + fmt(L.seconds, { value: decimal(((Date.now() - stopwatchStart) / 1000).toFixed(1)) }) + ")";
      }, 100);
      button.textContent = L.stop;
      return;
    }
    clearInterval(stopwatchTimer);
    var seconds = ((Date.now() - stopwatchStart) / 1000).toFixed(1);
    stopwatchStart = null;
    button.textContent = L.start;
    var rows = $("bucket-timings").children;
    var last = rows.length ? rows[rows.length - 1].querySelector("input") : null;
    if (last && !last.value) last.value = seconds;
    else addRow("bucket-timings", "timing-template", { seconds: seconds });
    computeBucket();
  }

  function checkUnusual() {
    var lps = number($("obs-discharge").value);
    var limit = editing.observation.unusualAbove;
    var unusual = lps !== null && !isNaN(lps) && limit !== null && limit !== undefined && lps > limit;
    $("unusual").hidden = !unusual;
    if (unusual) $("unusual-text").textContent = fmt(L.unusual, { lps: lps, usual: limit });
    return unusual;
  }

  function observationDateError(date, visitDraft) {
    if (!date) return L.required;
    if (date > today()) return L.futureObservation;
    var start = visitDraft.start_date;
    var end = visitDraft.end_date || visitDraft.start_date;
    if (start && (date < start || date > end)) return fmt(L.outsideVisit, { start: start, end: end });
    return "";
  }

  function saveObservation(event) {
    event.preventDefault();
    clearErrors("observation-form");
    readVisitFields();
    var errors = [];
    var date = $("obs-date").value;
    var dateError = observationDateError(date, current.draft);
    if (dateError) fieldError("obs-date", "obs-date-error", dateError, errors);
    var lps = number($("obs-discharge").value);
    var method = $("obs-method").value;
    if (lps !== null && (isNaN(lps) || lps < 0)) fieldError("obs-discharge", "obs-discharge-error", L.negative, errors);
    else if (lps !== null && !method) fieldError("obs-method", "obs-discharge-error", L.needMethod, errors);
    else if (checkUnusual() && !$("obs-confirm-unusual").checked) {
      fieldError("obs-discharge", "obs-discharge-error", L.confirmUnusual, errors);
    }
    var people = readRows("people", ["role", "name", "organisation", "count", "is_woman"]);
    var followUps = readRows("follow-ups", ["action", "responsible", "due_date"]).filter(function (f) {
      return f.action.trim() || f.responsible.trim() || f.due_date;
    });
    followUps.forEach(function (f) { if (!f.action.trim()) errors.push(cfg.fields.action + ": " + L.required); });
    if (showErrors("observation-errors", errors)) return;

    var o = editing.observation;
    var checked = document.querySelector("#obs-functionality input:checked");
    o.observed_on = date;
    o.functionality = checked ? checked.value : "unknown";
    o.discharge_lps = lps === null ? "" : String(lps);
    o.discharge_method = method;
    o.confirmedUnusual = $("obs-confirm-unusual").checked && checkUnusual();
    o.bucket = { litres: $("bucket-litres").value, timings: readRows("bucket-timings", ["seconds"]).map(function (r) { return r.seconds; }).filter(Boolean) };
    o.works_progress = $("obs-works").value;
    o.findings = $("obs-findings").value;
    o.people = people;
    o.followUps = followUps;
    o.photos = Array.prototype.map.call($("photos").children, function (row) {
      return { uuid: row.dataset.uuid, caption: row.querySelector("[data-name=caption]").value };
    });
    o.position = editing.position;
    if (editing.isNew) current.draft.observations.push(o);
    var removed = editing.removedPhotos;
    editing = null;
    Promise.all(removed.map(function (uuid) { return store.remove("photos", uuid); }))
      .then(saveDraft)
      .then(function () {
        renderObservations();
        show("visit-view");
      });
  }

  function cancelObservation() {
    var added = editing.addedPhotos;
    editing = null;
    Promise.all(added.map(function (uuid) { return store.remove("photos", uuid); })).then(function () {
      show("visit-view");
    });
  }

  // --- Photos: shrunk on the phone before they are kept ------------------------------------------

  function readImage(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return imageElement(file); });
    }
    return imageElement(file);
  }

  function imageElement(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("image")); };
      image.src = url;
    });
  }

  function shrink(file) {
    return readImage(file).then(function (image) {
      var width = image.width;
      var height = image.height;
      var scale = Math.min(1, cfg.photoMaxSide / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve({ blob: blob, width: canvas.width, height: canvas.height });
          else reject(new Error("toBlob"));
        }, "image/jpeg", 0.85);
      });
    });
  }

  function addPhotos() {
    var input = $("photo-input");
    var files = Array.prototype.slice.call(input.files || []);
    var forObservation = editing;
    $("photo-error").textContent = "";
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        return shrink(file).then(function (shrunk) {
          var photo = {
            uuid: uuid4(),
            visitUuid: current.uuid,
            kehriz: forObservation.observation.kehriz,
            blob: shrunk.blob,
            width: shrunk.width,
            height: shrunk.height,
            caption: "",
            takenAt: new Date(file.lastModified || Date.now()).toISOString(),
            state: "draft",
            createdAt: Date.now(),
          };
          return store.put("photos", photo).then(function () {
            forObservation.addedPhotos.push(photo.uuid);
            if (editing === forObservation) showPhoto(photo.uuid, "", shrunk.blob);
          });
        }, function () {
          $("photo-error").textContent = L.photoFailed;
        });
      });
    });
    chain.then(function () { input.value = ""; });
  }

  function showPhoto(photoUuid, caption, blob) {
    var row = $("photo-template").content.firstElementChild.cloneNode(true);
    row.dataset.uuid = photoUuid;
    row.querySelector("[data-name=caption]").value = caption || "";
    var image = row.querySelector("img");
    var setImage = function (b) {
      if (b) image.src = URL.createObjectURL(b);
    };
    if (blob) setImage(blob);
    else store.get("photos", photoUuid).then(function (p) { if (p) setImage(p.blob); });
    row.querySelector(".remove-row").addEventListener("click", function () {
      row.remove();
      editing.removedPhotos.push(photoUuid);
    });
    $("photos").appendChild(row);
  }

  // --- Offline: the service worker ---------------------------------------------------------------

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) {
      $("offline-ready").textContent = L.serviceWorkerFailed;
      return;
    }
    navigator.serviceWorker.register(cfg.urls.serviceWorker, { scope: cfg.urls.app }).catch(function () {
      $("offline-ready").textContent = L.serviceWorkerFailed;
    });
    navigator.serviceWorker.ready.then(function () {
      var done = function () {
        app.dataset.offlineReady = "1";
        $("offline-ready").textContent = L.offlineReady;
      };
      if (navigator.serviceWorker.controller) done();
      else navigator.serviceWorker.addEventListener("controllerchange", done, { once: true });
    });
  }

  // --- Wiring --------------------------------------------------------------------------------------

  fillSelect($("obs-method"), cfg.methods);
  $("new-visit").addEventListener("click", function () { openVisit(null); });
  $("send-now").addEventListener("click", sendNow);
  $("visit-form").addEventListener("submit", queueVisit);
  $("save-draft").addEventListener("click", function () {
    saveDraft().then(function () { current = null; show("home-view"); return renderVisits(); });
  });
  $("close-visit").addEventListener("click", function () {
    saveDraft().then(function () { current = null; show("home-view"); return renderVisits(); });
  });
  $("visit-form").addEventListener("change", function () { saveDraft(); });
  $("add-kehriz").addEventListener("click", openPicker);
  $("close-picker").addEventListener("click", function () { show("visit-view"); });
  $("kehriz-search").addEventListener("input", renderChoices);
  $("observation-form").addEventListener("submit", saveObservation);
  $("cancel-observation").addEventListener("click", cancelObservation);
  $("obs-method").addEventListener("change", updateMethod);
  $("obs-discharge").addEventListener("input", checkUnusual);
  $("bucket-litres").addEventListener("input", computeBucket);
  $("bucket-timings").addEventListener("input", computeBucket);
  $("add-timing").addEventListener("click", function () { addRow("bucket-timings", "timing-template").querySelector("input").focus(); });
  $("stopwatch").addEventListener("click", toggleStopwatch);
  $("add-person").addEventListener("click", function () { addRow("people", "person-template").querySelector("select").focus(); });
  $("add-follow-up").addEventListener("click", function () { addRow("follow-ups", "follow-up-template").querySelector("textarea").focus(); });
  $("photo-input").addEventListener("change", addPhotos);
  $("locate").addEventListener("click", recordPosition);
  $("clear-position").addEventListener("click", function () { editing.position = null; renderPosition(); });
  window.addEventListener("online", sendNow);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) sync(); });

  registerServiceWorker();
  Promise.all([loadKehriz(), renderVisits()]).then(function () {
    app.dataset.ready = "1";
    return sync();
  });

  // For the tests: the same folding as the server's.
  window.kehrizField = { fold: folding.fold, sync: sync };
})();
