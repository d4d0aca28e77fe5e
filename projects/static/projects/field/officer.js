/* Who is using the phone. The app's page is the same for everyone (the service worker keeps it,
 * with or without a session); the officer is the one the kəhriz list answered for, remembered on
 * the phone so that the app works without signal or with an expired session. Signing out
 * forgets them: their queued visits stay on the phone, locked, until they sign in again. */
import { cfg, L } from "./config.js";
import { store } from "./storage.js";
import { csrfToken } from "./net.js";

/* session: "live" (signed in now), "expired" (the server asks for a sign-in), "offline" (no
 * answer: the phone's own record), "forbidden" (signed in without the field officer role). */
export const officer = { session: "unknown" };

function $(id) { return document.getElementById(id); }

/* What the kəhriz list's answer says of who is here: `status` 200 (with `data`, `kept` when it
 * is the copy the phone kept), 401, 403, or 0 (no answer at all). Sets cfg.user. */
export function learnOfficer(status, data, kept) {
  return store.get("meta", "officer").then((meta) => {
    // undefined: the phone has no record yet; null: signed out.
    const known = meta ? meta.user : undefined;
    let user;
    if (status === 200 && !kept) {
      user = data.user;
      officer.session = "live";
    } else if (status === 200) {
      user = known === undefined ? data.user : known;
      officer.session = "offline";
    } else if (status === 403) {
      user = null;
      officer.session = "forbidden";
    } else {
      user = known || null;
      officer.session = status === 401 ? "expired" : "offline";
    }
    cfg.user = user || null;
    if (status === 200 && known !== user) return store.put("meta", { key: "officer", user: user });
    return null;
  }).then(showOfficer);
}

function showOfficer() {
  const user = cfg.user;
  $("signed-in-as").textContent = user || "";
  $("sign-out-form").hidden = !user && officer.session !== "forbidden";
  $("new-visit").disabled = !user;
  $("not-allowed").hidden = officer.session !== "forbidden";
  if (!user && officer.session !== "forbidden") {
    $("sign-in-again").querySelector("a").textContent = L.signInToRecord;
    $("sign-in-again").hidden = false;
  }
  document.getElementById("field-app").dataset.user = user || "";
}

/* Signing out locks the phone first: nobody records under this officer's name until they sign
 * in again, and the kəhriz list and the district boundaries kept for them leave the phone (the
 * next officer's come with their own sign-in). */
function signOut(event) {
  event.preventDefault();
  const form = event.target;
  form.querySelector("input[name=csrfmiddlewaretoken]").value = csrfToken();
  const forgetList = window.caches
    ? caches.keys().then((keys) => Promise.all(keys.map((key) => caches.open(key).then((c) =>
      Promise.all([cfg.urls.kehriz, cfg.map && cfg.map.districts].filter(Boolean).map((url) => c.delete(url)))))))
    : Promise.resolve();
  Promise.all([store.put("meta", { key: "officer", user: null }), forgetList.catch(() => null)])
    .then(() => form.submit());
}

export function wireOfficer() {
  // The page is the same for everyone: its forms take this phone's CSRF token when sent.
  document.querySelectorAll("form[method=post]").forEach((form) => {
    form.addEventListener("submit", () => {
      const input = form.querySelector("input[name=csrfmiddlewaretoken]");
      const token = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      if (input && token) input.value = decodeURIComponent(token[1]);
    });
  });
  $("sign-out-form").addEventListener("submit", signOut);
}
