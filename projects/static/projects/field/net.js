/* One request to the server, as the field app makes them all: the session's cookie and CSRF
 * token, the officer's language, and a time limit after which it is given up. */
import { cfg } from "./config.js";

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/* Resolves to {status, body} (the body parsed as JSON when it is JSON) once the whole answer
 * has arrived; rejects when the connection fails or `timeoutMs` passes first (a connection cut
 * while reading the body is a failure too). The error's `kind` says which: "timeout" (no
 * answer in time: a slow link, or a server that hangs) or "network" (no connection). */
export function request(url, options, timeoutMs) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  options.credentials = "same-origin";
  // X-Kehriz-Client names the field app as the door of the versions its visits write
  // (projects/history.py).
  options.headers = Object.assign({
    Accept: "application/json", "X-CSRFToken": csrfToken(), "Accept-Language": cfg.language,
    "X-Kehriz-Client": "field-app",
  }, options.headers || {});
  options.signal = controller.signal;
  return fetch(url, options).then((response) => response.text().then((body) => {
    clearTimeout(timer);
    let parsed = body;
    try { parsed = body ? JSON.parse(body) : null; } catch (e) { /* not JSON: keep the text */ }
    return { status: response.status, body: parsed };
  })).catch((error) => {
    clearTimeout(timer);
    const failure = new Error(timedOut ? "timeout" : "network");
    failure.kind = timedOut ? "timeout" : "network";
    failure.cause = error;
    throw failure;
  });
}
