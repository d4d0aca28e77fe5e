// The service worker's map part (projects/static/projects/field/tiles-sw.js): which requests are
// tiles, that viewed tiles are kept up to the bound (the oldest go), served without signal, and
// that a tile server without CORS still shows its tiles but has none kept. Run: node --test tests/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const SOURCE = readFileSync(new URL("../../projects/static/projects/field/tiles-sw.js", import.meta.url), "utf8");

/* CacheStorage as browsers keep it: entries in the order they were put. */
class PretendCache {
  constructor() { this.entries = new Map(); }
  async match(url) { const r = this.entries.get(String(url)); return r ? r.clone() : undefined; }
  async put(url, response) { this.entries.delete(String(url)); this.entries.set(String(url), response); }
  async keys() { return [...this.entries.keys()].map((url) => ({ url })); }
  async delete(key) { return this.entries.delete(typeof key === "string" ? key : key.url); }
}

function worker({ tilesKept = 3, network }) {
  const stores = new Map();
  const listeners = {};
  const self = {
    FIELD_SW: { map: { tiles: "https://{s}.tile.example.org/{z}/{x}/{y}.png", tilesKept, districts: "/field/districts.json" } },
    location: { origin: "https://kehriz.example.az" },
    addEventListener: (type, listener) => { listeners[type] = listener; },
  };
  const caches = {
    open: async (name) => { if (!stores.has(name)) stores.set(name, new PretendCache()); return stores.get(name); },
  };
  const context = { self, caches, fetch: network, URL, Response, Date, setTimeout, clearTimeout, Promise };
  vm.runInNewContext(SOURCE, context);
  async function get(url, destination = "image") {
    let answer = null;
    listeners.fetch({ request: { method: "GET", url, destination }, respondWith: (p) => { answer = p; } });
    return answer ? answer : null;
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
  return { self, get, stores, settle };
}

function png(n) {
  return new Response(`tile ${n}`, { status: 200, headers: { "Content-Type": "image/png", Date: new Date().toUTCString() } });
}

test("tile addresses are told from everything else", () => {
  const { self } = worker({ network: async () => png(0) });
  const pattern = self.kehrizTiles.tilePattern("https://{s}.tile.example.org/{z}/{x}/{y}{r}.png");
  assert.ok(pattern.test("https://a.tile.example.org/13/5190/3042.png"));
  assert.ok(pattern.test("https://b.tile.example.org/13/5190/3042@2x.png"));
  assert.ok(!pattern.test("https://a.tile.example.org.evil.test/13/5190/3042.png"));
  assert.ok(!pattern.test("https://a.tile.example.org/13/5190/3042.png?x=<script>"));
  assert.ok(!pattern.test("https://kehriz.example.az/field/"));
});

test("viewed tiles are kept up to the bound, oldest out, and served without signal", async () => {
  let online = true;
  const asked = [];
  const w = worker({
    tilesKept: 3,
    network: async (url, init) => {
      asked.push([String(url), init && init.mode]);
      if (!online) throw new TypeError("no signal");
      return png(url);
    },
  });
  for (let x = 0; x < 5; x++) {
    const answer = await w.get(`https://a.tile.example.org/12/${x}/7.png`);
    assert.equal(await answer.text(), `tile https://a.tile.example.org/12/${x}/7.png`);
    await w.settle();
  }
  assert.ok(asked.every(([, mode]) => mode === "cors"));
  const kept = [...w.stores.get("kehriz-map-tiles").entries.keys()];
  assert.deepEqual(kept, [2, 3, 4].map((x) => `https://a.tile.example.org/12/${x}/7.png`));

  online = false;
  asked.length = 0;
  const again = await w.get("https://a.tile.example.org/12/4/7.png");
  assert.equal(await again.text(), "tile https://a.tile.example.org/12/4/7.png");
  assert.deepEqual(asked, []); // from the phone, not the network
  await assert.rejects(w.get("https://a.tile.example.org/12/0/7.png")); // not kept: no tile
});

test("a tile server without CORS still shows its tiles online, none kept", async () => {
  const w = worker({
    network: async (url, init) => {
      if (init && init.mode === "cors") throw new TypeError("CORS refused");
      return png("opaque");
    },
  });
  const answer = await w.get("https://a.tile.example.org/12/1/1.png");
  assert.equal(await answer.text(), "tile opaque");
  await w.settle();
  assert.equal(w.stores.get("kehriz-map-tiles").entries.size, 0);
});

test("requests that are not tiles are left alone; the boundaries are kept for offline use", async () => {
  let online = true;
  const w = worker({
    network: async (request) => {
      if (!online) throw new TypeError("no signal");
      return new Response('{"type":"FeatureCollection","features":[]}', { status: 200 });
    },
  });
  assert.equal(await w.get("https://kehriz.example.az/static/projects/site.css", "style"), null);
  assert.equal(await w.get("https://other.example.org/12/1/1.png"), null);
  const first = await w.get("https://kehriz.example.az/field/districts.json", "");
  assert.equal((await first.json()).type, "FeatureCollection");
  await w.settle();
  online = false;
  const kept = await w.get("https://kehriz.example.az/field/districts.json", "");
  assert.equal((await kept.json()).type, "FeatureCollection");
});
