/* One photo to the server in chunks, resumable: for a link too slow (or too often cut) to carry
 * a photo in one request. The server's side is projects/views/field_uploads.py.
 *
 *   POST /field/uploads/                      announce it: {uuid, observation, caption, taken_at,
 *                                             size, sha256}; the answer says how many bytes the
 *                                             server already has (resume from there), or is the
 *                                             stored photo itself
 *   PUT  /field/uploads/<uuid>/<offset>/      one chunk (idempotent: a repeat changes nothing)
 *   POST /field/uploads/<uuid>/complete/      the server joins the chunks, checks size and
 *                                             SHA-256, stores the photo (once, however many race)
 *
 * Chunks are sized to the link: each should take about TARGET_SECONDS; a chunk that fails or
 * times out is tried again at half the size; a quick one lets the next grow. Nothing here runs at
 * import: the page calls `uploadPhoto` with its own `request` (net.js), and Node's test runner
 * calls it with a pretend server (tests/js/upload.test.mjs). */

export const FIRST_CHUNK_BYTES = 32 * 1024;
export const MIN_CHUNK_BYTES = 4 * 1024;
export const MAX_CHUNK_BYTES = 512 * 1024;
// How long one chunk should take to send; and how long before it is given up.
export const TARGET_SECONDS = 8;
export const CHUNK_TIMEOUT_MS = 45000;
export const START_TIMEOUT_MS = 30000;
export const COMPLETE_TIMEOUT_MS = 90000;
// Failed chunks in a row before this try is given up (the queue tries again later, from where
// the server got to); and how often a photo starts again from zero within one try.
export const FAILURES_PER_TRY = 3;
export const RESTARTS_PER_TRY = 2;

/* The next chunk size after a chunk of `bytes` took `seconds` (or failed: `seconds` null). */
export function nextChunkSize(current, bytes, seconds, limits = {}) {
  const min = limits.min || MIN_CHUNK_BYTES;
  const max = limits.max || MAX_CHUNK_BYTES;
  const target = limits.target || TARGET_SECONDS;
  let size;
  if (seconds === null || seconds === undefined) size = Math.floor(current / 2);
  else {
    const fitting = (bytes / Math.max(seconds, 0.001)) * target;
    // Grow at most twice as large at a time; shrink straight to what fits.
    size = Math.min(current * 2, fitting);
  }
  return Math.max(min, Math.min(max, Math.floor(size)));
}

/* The chunk of `size` bytes to send when the server has `received` (an [offset, end) pair). */
export function chunkRange(received, size, chunkSize) {
  return [received, Math.min(size, received + chunkSize)];
}

/* The photo's SHA-256 (hexadecimal): the browser's own where it has it (https, localhost),
 * else a small JavaScript one (a site served over plain http on a local network). */
export async function sha256Hex(blob) {
  const buffer = await blob.arrayBuffer();
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (subtle) {
    const digest = await subtle.digest("SHA-256", buffer);
    return hex(new Uint8Array(digest));
  }
  return sha256Js(new Uint8Array(buffer));
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/* SHA-256 (FIPS 180-4) in plain JavaScript. */
export function sha256Js(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  h.forEach((value, i) => outView.setUint32(i * 4, value));
  return hex(out);
}

function stored(answer, uuid) {
  return (answer.status === 200 || answer.status === 201) && answer.body && answer.body.uuid === uuid &&
    answer.body.complete === true;
}

/* Send `photo` ({uuid, blob, caption, takenAt}) as a photo of the observation `observationId`
 * (the server's id). Resolves to the server's last answer ({status, body}): the stored photo
 * (body.uuid, body.id) once it is on the server, or a refusal (401, 4xx, 5xx) to be dealt with as
 * any other request's; rejects when the connection fails, after which a later call resumes where
 * the server got to.
 *
 * options: request(url, init, timeoutMs) → Promise<{status, body}> (net.js's), urls: {start:
 * "/field/uploads/"}, onProgress(sentBytes, totalBytes), memory: an object this keeps the chunk
 * size in between calls (per link rather than per photo), now() in milliseconds. */
export async function uploadPhoto(photo, observationId, options) {
  const request = options.request;
  const base = options.urls.start;
  const now = options.now || (() => Date.now());
  const memory = options.memory || {};
  const progress = options.onProgress || (() => {});
  const blob = photo.blob;
  const size = blob.size;
  const sha256 = await sha256Hex(blob);
  const announce = () => request(base, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      uuid: photo.uuid,
      observation: observationId,
      caption: photo.caption || "",
      taken_at: photo.takenAt || null,
      size: size,
      sha256: sha256,
    }),
  }, START_TIMEOUT_MS);

  let restarts = 0;
  let answer = await announce();
  for (;;) {
    if (stored(answer, photo.uuid)) {
      progress(size, size);
      return answer;
    }
    if (answer.status !== 200 && answer.status !== 201) return answer;
    const limits = { max: Math.min(MAX_CHUNK_BYTES, answer.body.chunkMax || MAX_CHUNK_BYTES) };
    let received = answer.body.received || 0;
    progress(received, size);
    let failures = 0;
    let restart = false;
    while (received < size && !restart) {
      const chunkSize = Math.min(limits.max, memory.chunkSize || FIRST_CHUNK_BYTES);
      const [offset, end] = chunkRange(received, size, chunkSize);
      const began = now();
      let reply;
      try {
        reply = await request(base + photo.uuid + "/" + offset + "/", {
          method: "PUT",
          headers: { "Content-Type": "application/octet-stream" },
          body: blob.slice(offset, end),
        }, CHUNK_TIMEOUT_MS);
      } catch (error) {
        // Cut or too slow: smaller chunks; give this try up after a few in a row.
        memory.chunkSize = nextChunkSize(chunkSize, end - offset, null, limits);
        failures += 1;
        if (failures >= FAILURES_PER_TRY) throw error;
        continue;
      }
      if (stored(reply, photo.uuid)) return reply;
      if (reply.status === 200) {
        failures = 0;
        memory.chunkSize = nextChunkSize(chunkSize, end - offset, (now() - began) / 1000, limits);
        received = reply.body.received;
        progress(received, size);
      } else if (reply.status === 409 && reply.body && typeof reply.body.received === "number") {
        // A gap, or bytes that differ from what arrived: resume where the server says.
        failures += 1;
        if (failures >= FAILURES_PER_TRY) throw new Error("upload out of step with the server");
        received = reply.body.received;
        progress(received, size);
      } else if (reply.status === 404) {
        answer = reply;
        restart = true; // the server no longer has the upload (cleaned): announce it again
      } else {
        return reply; // sign in again, a refusal, a server error: as for any request
      }
    }
    if (!restart) {
      answer = await request(base + photo.uuid + "/complete/", { method: "POST" }, COMPLETE_TIMEOUT_MS);
      if (stored(answer, photo.uuid)) {
        progress(size, size);
        return answer;
      }
      const code = answer.body && answer.body.code;
      if (answer.status === 409 && code === "incomplete") {
        answer = { status: 200, body: answer.body }; // resume the chunks
        continue;
      }
      if (!(answer.status === 404 || (answer.status === 400 && code === "checksum"))) return answer;
    }
    // Start again from zero: the server lost the upload, or the whole did not match the phone's.
    restarts += 1;
    if (restarts > RESTARTS_PER_TRY) return answer;
    answer = await announce();
  }
}
