// The field app's queue rules (projects/static/projects/field/queue.js), under Node's own test
// runner: `node --test tests/js/` (make test runs it).
import { test } from "node:test";
import assert from "node:assert/strict";

import * as queue from "../../projects/static/projects/field/queue.js";

const RETRY = { first: 2, max: 60 };
const never = () => 0; // no randomness: the longest wait
const visit = (uuid, createdAt, changes = {}) => ({ uuid, user: "kamala", state: "queued", createdAt, ...changes });
const photo = (uuid, visitUuid, createdAt, changes = {}) => ({ uuid, visitUuid, state: "waiting", createdAt, ...changes });

test("retries wait 2 s, then twice as long each time, never more than the longest wait", () => {
  const waits = [1, 2, 3, 4, 5, 6, 7, 10].map((n) => queue.backoffMs(n, RETRY, () => 1));
  assert.deepEqual(waits, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  // A fifth less at most, at random, so that phones do not all come back at once.
  assert.equal(queue.backoffMs(1, RETRY, never), 1600);
  for (let i = 0; i < 50; i++) {
    const wait = queue.backoffMs(3, RETRY);
    assert.ok(wait >= 6400 && wait <= 8000, wait);
  }
});

test("a failed try counts, says why, and sets its own next try; a success clears it", () => {
  const record = visit("a", 1);
  queue.noteFailure(record, "server", 500, 10000, RETRY, never);
  queue.noteFailure(record, "timeout", null, 20000, RETRY, never);
  assert.equal(record.attempts, 2);
  assert.equal(record.nextAttemptAt, 20000 + 3200);
  assert.deepEqual(record.failure, { kind: "timeout", status: null, at: 20000 });
  assert.equal(queue.isDue(record, 23199), false);
  assert.equal(queue.isDue(record, 23200), true);
  queue.clearFailure(record);
  assert.deepEqual([record.attempts, record.nextAttemptAt, record.failure], [0, 0, null]);
});

test("what an answer means: stored, sign in again, refused, or a server problem to try again", () => {
  assert.equal(queue.outcomeOf({ status: 201, body: { uuid: "a" } }, "a"), "ok");
  assert.equal(queue.outcomeOf({ status: 200, body: { uuid: "a" } }, "a"), "ok"); // already stored
  assert.equal(queue.outcomeOf({ status: 200, body: { uuid: "b" } }, "a"), "server"); // not its answer
  assert.equal(queue.outcomeOf({ status: 200, body: "<html>captive portal</html>" }, "a"), "server");
  assert.equal(queue.outcomeOf({ status: 401, body: {} }, "a"), "auth");
  for (const status of [400, 403, 404, 413]) assert.equal(queue.outcomeOf({ status, body: {} }, "a"), "refused");
  for (const status of [408, 429, 500, 502, 503, 504]) assert.equal(queue.outcomeOf({ status, body: null }, "a"), "server");
});

test("visits go oldest first, then photos oldest first, as many at once as there are places", () => {
  const visits = [visit("v3", 30), visit("v1", 10), visit("v2", 20), visit("done", 5, { state: "sent" })];
  const photos = [photo("p2", "done", 8), photo("p1", "done", 7), photo("of-queued", "v1", 1)];
  const order = (parallel) => queue.toStart(visits, photos, "kamala", 0, new Set(), parallel).map((s) => s.record.uuid);
  assert.deepEqual(order(2), ["v1", "v2"]);
  assert.deepEqual(order(10), ["v1", "v2", "v3", "p1", "p2"]); // a queued visit's photo waits for it
  assert.deepEqual(queue.toStart(visits, photos, "kamala", 0, new Set(), 2)[0].kind, "visits");
});

test("one record that hangs or fails never holds up the others", () => {
  const visits = [visit("hung", 10), visit("failed", 20, { nextAttemptAt: 5000 }), visit("next", 30), visit("last", 40)];
  // "hung" is under way (its request has not answered): the other place goes to the next due.
  let starts = queue.toStart(visits, [], "kamala", 1000, new Set(["hung"]), 2);
  assert.deepEqual(starts.map((s) => s.record.uuid), ["next"]);
  // Both places taken: nothing more starts until one is free.
  assert.deepEqual(queue.toStart(visits, [], "kamala", 1000, new Set(["hung", "next"]), 2), []);
  starts = queue.toStart(visits, [], "kamala", 1000, new Set(["hung"]), 3);
  assert.deepEqual(starts.map((s) => s.record.uuid), ["next", "last"]);
  // Once its wait is over, the failed one is due again, in its place (oldest first).
  starts = queue.toStart(visits, [], "kamala", 6000, new Set(["hung"]), 3);
  assert.deepEqual(starts.map((s) => s.record.uuid), ["failed", "next"]);
});

test("only the signed-in officer's visits are sent, and no draft, refused or sent one", () => {
  const visits = [
    visit("mine", 1),
    visit("theirs", 2, { user: "rauf" }),
    visit("draft", 3, { state: "draft" }),
    visit("refused", 4, { state: "refused" }),
    visit("sent", 5, { state: "sent" }),
    visit("their-sent", 6, { state: "sent", user: "rauf" }),
  ];
  const photos = [photo("p-sent", "sent", 1), photo("p-theirs", "their-sent", 2), photo("p-refused", "refused", 3)];
  const starts = queue.toStart(visits, photos, "kamala", 0, new Set(), 10).map((s) => s.record.uuid);
  assert.deepEqual(starts, ["mine", "p-sent"]);
});

test("sending again is safe: the same record keeps its uuid, so the server stores it once", () => {
  // The rules never make a new record for a retry: the record that failed is the one sent again.
  const record = visit("same", 1);
  queue.noteFailure(record, "network", null, 0, RETRY, never);
  const [start] = queue.toStart([record], [], "kamala", record.nextAttemptAt, new Set(), 2);
  assert.equal(start.record, record);
  assert.equal(start.record.uuid, "same");
});

test("the next wake-up: the soonest due record, not before a hold for a missing connection", () => {
  const waiting = { visits: [visit("a", 1, { nextAttemptAt: 9000 })], photos: [photo("p", "x", 2, { nextAttemptAt: 7000 })] };
  assert.equal(queue.nextWake(waiting, 1000), 7000);
  assert.equal(queue.nextWake(waiting, 1000, 8000), 8000);
  assert.equal(queue.nextWake(waiting, 10000), 10000); // overdue: now
  assert.equal(queue.nextWake({ visits: [], photos: [] }, 1000), null);
});

test("slow and no connection are told apart", () => {
  assert.equal(queue.linkState(["ok", "timeout"]), "slow");
  assert.equal(queue.linkState(["timeout", "network"]), "offline");
  assert.equal(queue.linkState(["network", "ok"]), "");
  assert.equal(queue.linkState(["server"]), "");
  assert.equal(queue.linkState(["ok"], false), "offline"); // the browser knows it is offline
});

test("sent visits leave the phone after the set time, unless a photo of theirs is still to go", () => {
  const day = 24 * 3600 * 1000;
  const visits = [
    visit("old", 1, { state: "sent", sentAt: 0 }),
    visit("old-photo-waits", 2, { state: "sent", sentAt: 0 }),
    visit("recent", 3, { state: "sent", sentAt: 6 * day }),
    visit("queued", 4, { sentAt: undefined }),
    visit("refused", 5, { state: "refused" }),
  ];
  const photos = [photo("p1", "old", 1, { state: "sent" }), photo("p2", "old-photo-waits", 2)];
  assert.deepEqual(queue.expiredSent(visits, photos, 7 * day, 7 * day), ["old"]);
  assert.deepEqual(queue.expiredSent(visits, photos, 7 * day - 1, 7 * day), []);
});
