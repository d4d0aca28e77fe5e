/* The queue's rules: what is sent, in which order, when it is tried again, and what the server's
 * answer means for it. Plain data in, plain data out: this module imports nothing and touches no
 * browser API, so that Node's test runner checks it (tests/js/queue.test.mjs).
 *
 * A record is a visit or a photo as storage.js keeps it ({uuid, user, state, createdAt, attempts,
 * nextAttemptAt, failure, …}). Visits and photos carry their own UUID: the server stores each once
 * however often it is sent (idempotent creation), so sending again after any doubt is safe.
 *
 * Each record goes on its own: a record that fails (the server's error) or hangs (no answer in
 * time) waits for its own next try while the others go on. Only a missing connection holds
 * everything back, since nothing can go then. */

// How many requests may be under way at once: one that hangs leaves the other free.
export const PARALLEL = 2;

/* How long to wait before the next try after `attempts` failures (milliseconds): the first wait,
 * doubling, up to the longest, less up to a fifth at random so that phones do not all retry at
 * once. `retry` is {first, max} in seconds. */
export function backoffMs(attempts, retry, random = Math.random) {
  const seconds = Math.min(retry.max, retry.first * 2 ** Math.max(0, attempts - 1));
  return seconds * 1000 * (0.8 + random() * 0.2);
}

export function isDue(record, now) {
  return !record.nextAttemptAt || record.nextAttemptAt <= now;
}

/* A refusal: the server will answer the same until something changes (a 4xx other than a
 * missing login, a timeout or "too many requests"). */
export function isRefusal(status) {
  return status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;
}

/* What an answer from the server means for the record `uuid`:
 * "ok" (stored: 201, or 200 when it already was), "auth" (sign in again), "refused" (shown to
 * the officer with the server's reason), "server" (a server error or an unexpected answer: try
 * this one again after a wait). */
export function outcomeOf(answer, uuid) {
  if ((answer.status === 200 || answer.status === 201) && answer.body && answer.body.uuid === uuid) return "ok";
  if (answer.status === 401) return "auth";
  if (isRefusal(answer.status)) return "refused";
  return "server";
}

export function oldestFirst(records) {
  return records.slice().sort((a, b) => (a.createdAt || 0) - (b.createdAt || 0));
}

export function sentVisits(visits, user) {
  const sent = {};
  visits.forEach((v) => { if (v.state === "sent" && v.user === user) sent[v.uuid] = v; });
  return sent;
}

/* Everything of `user` that waits to be sent (due or not): queued visits, and waiting photos
 * of visits the server has stored. */
export function pending(visits, photos, user) {
  const sent = sentVisits(visits, user);
  return {
    visits: oldestFirst(visits.filter((v) => v.user === user && v.state === "queued")),
    photos: oldestFirst(photos.filter((p) => p.state === "waiting" && sent[p.visitUuid])),
  };
}

/* What to start now: due records not already under way, visits (oldest first) before photos
 * (oldest first), as many as there are free places. Returns [{kind: "visits"|"photos", record}]. */
export function toStart(visits, photos, user, now, underWay, parallel = PARALLEL) {
  const free = parallel - underWay.size;
  if (free <= 0) return [];
  const waiting = pending(visits, photos, user);
  const chosen = [];
  for (const [kind, records] of [["visits", waiting.visits], ["photos", waiting.photos]]) {
    for (const record of records) {
      if (chosen.length >= free) return chosen;
      if (!underWay.has(record.uuid) && isDue(record, now)) chosen.push({ kind: kind, record: record });
    }
  }
  return chosen;
}

/* After a failed try: one more attempt counted, the time of the next, and why (kind: "network"
 * no connection, "timeout" no answer in time, "server" the server's error; status when it
 * answered). Changes `record`. */
export function noteFailure(record, kind, status, now, retry, random = Math.random) {
  record.attempts = (record.attempts || 0) + 1;
  record.nextAttemptAt = now + backoffMs(record.attempts, retry, random);
  record.failure = { kind: kind, status: status || null, at: now };
  return record;
}

/* After a successful send or a refusal: the record's tries start again from nothing. */
export function clearFailure(record) {
  record.attempts = 0;
  record.nextAttemptAt = 0;
  record.failure = null;
  return record;
}

/* When to wake up and try again (a time in ms), or null when nothing waits. Nothing starts
 * before `holdUntil` (no connection: wait before trying anything). */
export function nextWake(waiting, now, holdUntil = 0) {
  const records = waiting.visits.concat(waiting.photos);
  if (!records.length) return null;
  const soonest = Math.min(...records.map((r) => r.nextAttemptAt || 0));
  return Math.max(soonest, holdUntil, now);
}

/* How the link is, from the last tries' failure kinds (newest last) and whether the browser says
 * it is offline: "offline" (no connection), "slow" (it answers too slowly), or "" (fine). */
export function linkState(kinds, browserOnline = true) {
  if (!browserOnline) return "offline";
  const last = kinds[kinds.length - 1];
  if (last === "network") return "offline";
  if (last === "timeout") return "slow";
  return "";
}

/* The sent visits to remove from the phone (uuids): sent more than `keepMs` ago, with no photo
 * still waiting, being edited or refused (the server keeps them all). */
export function expiredSent(visits, photos, now, keepMs) {
  const open = {};
  photos.forEach((p) => { if (p.state !== "sent") open[p.visitUuid] = true; });
  return visits
    .filter((v) => v.state === "sent" && typeof v.sentAt === "number" && v.sentAt + keepMs <= now && !open[v.uuid])
    .map((v) => v.uuid);
}
