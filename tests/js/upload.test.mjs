// The chunked, resumable photo upload (projects/static/projects/field/upload.js) against a
// pretend server that keeps the rules of projects/views/field_uploads.py, over links that are
// slow, cut, or lose answers. Run: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";

import {
  CHUNK_TIMEOUT_MS,
  FIRST_CHUNK_BYTES,
  MIN_CHUNK_BYTES,
  chunkRange,
  nextChunkSize,
  sha256Hex,
  sha256Js,
  uploadPhoto,
} from "../../projects/static/projects/field/upload.js";

const BASE = "/field/uploads/";
const UUID = "6f1c2a9e-4b7d-4c1e-9a55-2f0d8e7b3c41";

function sha(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/* The server's rules, in memory: uploads by uuid, chunks appended at `received`, one photo. */
class PretendServer {
  constructor() {
    this.uploads = new Map();
    this.photos = new Map();
    this.nextId = 1;
    this.log = [];
  }

  handle(method, path, body) {
    const rest = path.slice(BASE.length);
    if (method === "POST" && rest === "") return this.start(JSON.parse(body));
    const [uuid, tail] = rest.split("/");
    if (this.photos.has(uuid)) return { status: 200, body: this.photos.get(uuid) };
    const upload = this.uploads.get(uuid);
    if (!upload) return { status: 404, body: { code: "unknown_upload" } };
    if (method === "PUT") return this.chunk(upload, Number(tail), body);
    if (method === "POST" && tail === "complete") return this.complete(uuid, upload);
    return { status: 405, body: null };
  }

  state(upload) {
    return { uuid: upload.uuid, complete: false, size: upload.size, received: upload.data.length, chunkMax: 512 * 1024 };
  }

  start(body) {
    if (this.photos.has(body.uuid)) return { status: 200, body: this.photos.get(body.uuid) };
    let upload = this.uploads.get(body.uuid);
    if (!upload || upload.sha256 !== body.sha256) {
      upload = { uuid: body.uuid, size: body.size, sha256: body.sha256, data: Buffer.alloc(0), meta: body };
      this.uploads.set(body.uuid, upload);
      return { status: 201, body: this.state(upload) };
    }
    return { status: 200, body: this.state(upload) };
  }

  chunk(upload, offset, bytes) {
    this.log.push(["PUT", offset, bytes.length]);
    const received = upload.data.length;
    if (offset + bytes.length > upload.size) return { status: 400, body: { code: "beyond_size" } };
    if (offset > received) return { status: 409, body: { code: "gap", ...this.state(upload) } };
    const kept = upload.data.subarray(offset, Math.min(received, offset + bytes.length));
    if (!kept.equals(bytes.subarray(0, kept.length))) {
      upload.data = Buffer.alloc(0);
      return { status: 409, body: { code: "mismatch", ...this.state(upload) } };
    }
    if (offset + bytes.length > received) {
      upload.data = Buffer.concat([upload.data, bytes.subarray(received - offset)]);
    }
    return { status: 200, body: this.state(upload) };
  }

  complete(uuid, upload) {
    this.log.push(["COMPLETE"]);
    if (upload.data.length < upload.size) return { status: 409, body: { code: "incomplete", ...this.state(upload) } };
    if (sha(upload.data) !== upload.sha256) {
      upload.data = Buffer.alloc(0);
      return { status: 400, body: { code: "checksum", detail: "damaged", ...this.state(upload) } };
    }
    const photo = { id: this.nextId++, uuid, complete: true, caption: upload.meta.caption, bytes: upload.data };
    this.photos.set(uuid, photo);
    this.uploads.delete(uuid);
    return { status: 201, body: photo };
  }
}

/* A link to the pretend server. `hooks.before(method, path, bytes)` may throw (the request never
 * reached the server); `hooks.after(...)` may throw (it reached the server, the answer was lost).
 * The clock advances by each body's bytes ÷ `bytesPerSecond`; a request longer than `cutAfterS`
 * is cut before it reaches the server, as a carrier's gateway does. */
function link(server, { bytesPerSecond = Infinity, cutAfterS = Infinity, before, after, corrupt } = {}) {
  const clock = { t: 0 };
  const request = async (url, init, timeoutMs) => {
    let bytes = Buffer.alloc(0);
    if (init.body instanceof Blob) bytes = Buffer.from(await init.body.arrayBuffer());
    else if (typeof init.body === "string") bytes = Buffer.from(init.body);
    const seconds = bytes.length / bytesPerSecond;
    clock.t += Math.min(seconds, cutAfterS, timeoutMs / 1000) * 1000;
    if (seconds > cutAfterS || seconds * 1000 > timeoutMs) throw new Error("cut");
    if (before) before(init.method, url, bytes);
    if (corrupt) bytes = corrupt(init.method, url, bytes);
    const answer = server.handle(init.method, url, init.method === "PUT" ? bytes : bytes.toString());
    if (after) after(init.method, url, bytes, answer);
    return JSON.parse(JSON.stringify(answer, (k, v) => (k === "bytes" ? undefined : v)));
  };
  return { request, now: () => clock.t, clock };
}

function photoOf(bytes) {
  return { uuid: UUID, blob: new Blob([bytes]), caption: "Çıxış hovuzu", takenAt: "2026-03-13T10:00:00Z" };
}

function options(connection, extra = {}) {
  const progress = [];
  return {
    request: connection.request,
    now: connection.now,
    urls: { start: BASE },
    memory: {},
    onProgress: (sent, total) => progress.push([sent, total]),
    progress,
    ...extra,
  };
}

/* Call uploadPhoto as the queue does: again after each failure, until the photo is stored. */
async function sendUntilStored(photo, opts, tries = 50) {
  for (let i = 0; i < tries; i++) {
    try {
      const answer = await uploadPhoto(photo, 7, opts);
      if (answer.body && answer.body.complete) return { answer, tries: i + 1 };
      throw new Error("refused: " + JSON.stringify(answer));
    } catch (error) {
      if (String(error.message).startsWith("refused")) throw error;
    }
  }
  throw new Error("never stored");
}

test("the JavaScript SHA-256 is the standard one (the browser's is used where it exists)", async () => {
  for (const length of [0, 1, 55, 56, 63, 64, 65, 1000, 100_003]) {
    const bytes = randomBytes(length);
    assert.equal(sha256Js(bytes), sha(bytes), `length ${length}`);
  }
  assert.equal(sha256Js(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const bytes = randomBytes(5000);
  assert.equal(await sha256Hex(new Blob([bytes])), sha(bytes));
});

test("chunk sizes follow the link: halved after a failure, grown (at most doubled) after quick ones", () => {
  assert.equal(nextChunkSize(32768, 32768, null), 16384);
  assert.equal(nextChunkSize(MIN_CHUNK_BYTES, MIN_CHUNK_BYTES, null), MIN_CHUNK_BYTES);
  // 20 kbit/s = 2,500 bytes a second: about 8 s worth.
  assert.equal(nextChunkSize(16384, 16384, 16384 / 2500), 20000);
  // A fast link: doubled, up to the server's limit.
  assert.equal(nextChunkSize(32768, 32768, 0.05), 65536);
  assert.equal(nextChunkSize(400_000, 400_000, 0.05, { max: 512 * 1024 }), 512 * 1024);
  assert.deepEqual(chunkRange(30_000, 40_000, 16_384), [30_000, 40_000]);
  assert.deepEqual(chunkRange(0, 40_000, 16_384), [0, 16_384]);
});

test("over 20 kbit/s with requests cut after 10 s, a photo arrives whole and once, in several chunks", async () => {
  const server = new PretendServer();
  const bytes = randomBytes(100_000);
  const connection = link(server, { bytesPerSecond: 2500, cutAfterS: 10 });
  const opts = options(connection);
  const { answer, tries } = await sendUntilStored(photoOf(bytes), opts);
  assert.equal(answer.status, 201);
  assert.ok(server.photos.get(UUID).bytes.equals(bytes));
  assert.equal(server.photos.size, 1);
  // 100 kB at 2.5 kB/s in one request would take 40 s: it went in many, none over 10 s.
  const puts = server.log.filter((entry) => entry[0] === "PUT");
  assert.ok(puts.length >= 5, `${puts.length} chunks`);
  assert.ok(puts.every(([, , length]) => length / 2500 <= 10));
  // The first chunk (32 kB, 13 s) was cut before it arrived: it started smaller next time.
  assert.ok(FIRST_CHUNK_BYTES / 2500 > 10);
  assert.ok(tries <= 2, `${tries} tries`);
  // Progress only goes forward, to the whole.
  const sent = opts.progress.map(([s]) => s);
  assert.deepEqual(sent, [...sent].sort((a, b) => a - b));
  assert.deepEqual(opts.progress.at(-1), [100_000, 100_000]);
});

test("when the link drops mid-way, the next try resumes where the server got to", async () => {
  const server = new PretendServer();
  const bytes = randomBytes(60_000);
  let offline = false;
  let chunks = 0;
  const connection = link(server, {
    before: () => { if (offline) throw new Error("no signal"); },
    after: (method) => { if (method === "PUT" && ++chunks === 2) offline = true; },
  });
  const opts = options(connection, { memory: { chunkSize: 10_000 } });
  await assert.rejects(uploadPhoto(photoOf(bytes), 7, opts));
  const got = server.uploads.get(UUID).data.length;
  assert.ok(got >= 20_000 && got < 60_000, `${got} bytes before the drop`);
  offline = false;
  server.log.length = 0;
  const answer = await uploadPhoto(photoOf(bytes), 7, opts);
  assert.equal(answer.status, 201);
  assert.ok(server.photos.get(UUID).bytes.equals(bytes));
  // Nothing sent twice: the second try starts where the server got to.
  const puts = server.log.filter((entry) => entry[0] === "PUT");
  assert.equal(puts[0][1], got);
  assert.equal(puts.reduce((total, [, , length]) => total + length, 0), 60_000 - got);
});

test("a chunk whose answer was lost is sent again, and the server keeps it once", async () => {
  const server = new PretendServer();
  const bytes = randomBytes(30_000);
  let lost = 0;
  const connection = link(server, {
    after: (method) => { if (method === "PUT" && lost++ % 2 === 0) throw new Error("answer lost"); },
  });
  const opts = options(connection, { memory: { chunkSize: 8_000 } });
  const { answer } = await sendUntilStored(photoOf(bytes), opts);
  assert.equal(answer.status, 201);
  assert.ok(server.photos.get(UUID).bytes.equals(bytes));
});

test("a completion whose answer was lost: the retry gets the stored photo, not a second one", async () => {
  const server = new PretendServer();
  const bytes = randomBytes(20_000);
  let cut = true;
  const connection = link(server, {
    after: (method, url) => {
      if (url.endsWith("/complete/") && cut) { cut = false; throw new Error("answer lost"); }
    },
  });
  const opts = options(connection);
  await assert.rejects(uploadPhoto(photoOf(bytes), 7, opts));
  assert.equal(server.photos.size, 1);
  const answer = await uploadPhoto(photoOf(bytes), 7, opts);
  assert.equal(answer.status, 200);
  assert.equal(answer.body.id, 1);
  assert.equal(server.photos.size, 1);
});

test("bytes damaged on the way: the server's checksum refuses them and the photo starts again", async () => {
  const server = new PretendServer();
  const bytes = randomBytes(30_000);
  let damage = true;
  const connection = link(server, {
    corrupt: (method, url, body) => {
      if (method !== "PUT" || !damage) return body;
      damage = false;
      const copy = Buffer.from(body);
      copy[10] ^= 0xff;
      return copy;
    },
  });
  const opts = options(connection, { memory: { chunkSize: 10_000 } });
  const answer = await uploadPhoto(photoOf(bytes), 7, opts);
  assert.equal(answer.status, 201);
  assert.ok(server.photos.get(UUID).bytes.equals(bytes));
  assert.equal(server.log.filter((entry) => entry[0] === "COMPLETE").length, 2);
});

test("an upload the server cleaned away is announced again and sent from zero", async () => {
  const server = new PretendServer();
  const bytes = randomBytes(30_000);
  let chunks = 0;
  const connection = link(server, {
    after: (method) => { if (method === "PUT" && ++chunks === 2) server.uploads.delete(UUID); },
  });
  const opts = options(connection, { memory: { chunkSize: 10_000 } });
  const answer = await uploadPhoto(photoOf(bytes), 7, opts);
  assert.equal(answer.status, 201);
  assert.ok(server.photos.get(UUID).bytes.equals(bytes));
});

test("a refusal, a missing sign-in or a server error is answered as for any request", async () => {
  for (const status of [401, 403, 400, 500]) {
    const answer = await uploadPhoto(photoOf(randomBytes(100)), 7, {
      urls: { start: BASE },
      request: async () => ({ status, body: { detail: "no" } }),
    });
    assert.equal(answer.status, status);
  }
  // A refusal of a chunk, mid-way, too (the officer lost the district).
  const server = new PretendServer();
  const connection = link(server);
  let first = true;
  const answer = await uploadPhoto(photoOf(randomBytes(30_000)), 7, options(connection, {
    memory: { chunkSize: 10_000 },
    request: async (url, init, timeout) => {
      if (init.method === "PUT" && !first) return { status: 403, body: { detail: "not yours" } };
      if (init.method === "PUT") first = false;
      return connection.request(url, init, timeout);
    },
  }));
  assert.equal(answer.status, 403);
});

test("a link that is down gives the try up after a few failures, leaving the rest to the queue", async () => {
  let calls = 0;
  const server = new PretendServer();
  const connection = link(server, {
    before: (method) => { if (method === "PUT") { calls += 1; throw new Error("no signal"); } },
  });
  await assert.rejects(uploadPhoto(photoOf(randomBytes(50_000)), 7, options(connection)));
  assert.equal(calls, 3);
  assert.ok(CHUNK_TIMEOUT_MS >= 30_000);
});
