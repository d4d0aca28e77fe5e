/* The queue's rules: what is sent, in which order, when it is tried again, and what the server's
 * answer means for it. Plain data in, plain data out: this module imports nothing and touches no
 * browser API, so that Node's test runner checks it (tests/js/queue.test.mjs).
 *
 * A record is a visit or a photo as storage.js keeps it ({uuid, user, state, createdAt, attempts,
 * nextAttemptAt, …}). Visits and photos carry their own UUID: the server stores each once however
 * often it is sent (idempotent creation), so sending again after any doubt is always safe. */

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
 * the officer with the server's reason), "later" (a server error or an unexpected answer: try
 * again after a wait). */
export function outcomeOf(answer, uuid) {
  if ((answer.status === 200 || answer.status === 201) && answer.body && answer.body.uuid === uuid) return "ok";
  if (answer.status === 401) return "auth";
  if (isRefusal(answer.status)) return "refused";
  return "later";
}

export function oldestFirst(records) {
  return records.slice().sort((a, b) => (a.createdAt || 0) - (b.createdAt || 0));
}

/* The visits of `user` to send now, oldest first. */
export function visitsToSend(visits, user, now) {
  return oldestFirst(visits.filter((v) => v.user === user && v.state === "queued" && isDue(v, now)));
}

/* The photos to send now, oldest first: waiting, due, and their visit stored by the server and
 * recorded by `user`. */
export function photosToSend(photos, visits, user, now) {
  const sent = sentVisits(visits, user);
  return oldestFirst(photos.filter((p) => p.state === "waiting" && sent[p.visitUuid] && isDue(p, now)));
}

export function sentVisits(visits, user) {
  const sent = {};
  visits.forEach((v) => { if (v.state === "sent" && v.user === user) sent[v.uuid] = v; });
  return sent;
}

/* After a failed try: one more attempt counted, and the time of the next. Changes `record`. */
export function noteFailure(record, status, now, retry, random = Math.random) {
  record.attempts = (record.attempts || 0) + 1;
  record.nextAttemptAt = now + backoffMs(record.attempts, retry, random);
  record.lastStatus = status;
  return record;
}
