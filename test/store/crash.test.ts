/**
 * The store survives SIGKILL. It runs as a child process — the `sluice store` command,
 * from source — is killed at chosen moments of a PUT, and is restarted on the same data
 * folder. After every restart a key holds its old bytes or its new ones, whole, and the
 * data folder holds nothing the metadata does not name.
 *
 * The issue asks for exactly this: "An object is visible whole or not at all — also when
 * the process is killed with SIGKILL in the middle of a PUT or of an overwrite. On
 * start, the store removes orphaned temporary files and blobs that no metadata points to."
 *
 * Every request is signed (`UNSIGNED-PAYLOAD` for bodies) and sent over real HTTP on
 * loopback. The random kill moments come from a seeded generator; the seed is printed,
 * and `SLUICE_CRASH_SEED=<seed>` replays a failing run.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { sign } from "@sluice/sigv4";
import { smallBodyCount } from "./helpers.js";
import { killStore, type RunningStore, startStoreProcess } from "./store-process.js";

const MiB = 1024 * 1024;
const credentials = { accessKeyId: "CRASHTESTKEY", secretAccessKey: "crash-test-secret" };
const region = "auto";
const BUCKET = "crash";
const KEY = "uploads/large.bin";
/** Bytes the server may still hold in socket buffers when we decide to kill it. */
const IN_FLIGHT_SLACK_BYTES = 8 * MiB;

// ---------------------------------------------------------------------------------------
// The store as a child process

/** `sluice store` from source: no build needed, and never a stale `dist/`. */

const startStore = (dataDir: string) => startStoreProcess(dataDir, credentials);
const kill = killStore;

// ---------------------------------------------------------------------------------------
// Object contents: versions that differ in every MiB, so a mix or a cut shows

interface Version {
  readonly name: string;
  readonly size: number;
  readonly pattern: Buffer;
}

function version(name: string, size: number): Version {
  return { name, size, pattern: randomBytes(MiB) };
}

/** The version's bytes, one MiB at a time, each MiB stamped with its index. */
function* chunksOf(v: Version): Generator<Buffer> {
  for (let at = 0, index = 0; at < v.size; at += MiB, index++) {
    const chunk = Buffer.from(v.pattern.subarray(0, Math.min(MiB, v.size - at)));
    if (chunk.length >= 4) chunk.writeUInt32BE(index, 0);
    yield chunk;
  }
}

const md5s = new Map<Version, string>();
function md5Of(v: Version): string {
  let digest = md5s.get(v);
  if (digest === undefined) {
    const hash = createHash("md5");
    for (const chunk of chunksOf(v)) hash.update(chunk);
    digest = hash.digest("hex");
    md5s.set(v, digest);
  }
  return digest;
}

// ---------------------------------------------------------------------------------------
// Signed requests

async function s3(
  store: RunningStore,
  method: string,
  path: string,
): Promise<{ status: number; text: string }> {
  const signed = sign({ method, url: `${store.url}${path}`, credentials, region });
  const response = await fetch(signed.url, { method, headers: signed.headers });
  return { status: response.status, text: await response.text() };
}

/** GETs the key; its size and MD5, or the error code. */
async function getObject(
  store: RunningStore,
): Promise<{ found: true; size: number; md5: string } | { found: false; code: string }> {
  const signed = sign({ method: "GET", url: `${store.url}/${BUCKET}/${KEY}`, credentials, region });
  const response = await fetch(signed.url, { headers: signed.headers });
  if (response.status !== 200) {
    const text = await response.text();
    return { found: false, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `${response.status}` };
  }
  const hash = createHash("md5");
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { found: true, size, md5: hash.digest("hex") };
}

type PutOutcome = { readonly status: number } | { readonly error: string };

/**
 * A PUT whose body is sent on demand, so a test decides how far it gets before the
 * store dies.
 */
class StreamedPut {
  readonly outcome: Promise<PutOutcome>;
  #sent = 0;
  readonly #chunks: Generator<Buffer>;
  readonly #request;

  constructor(store: RunningStore, v: Version) {
    const signed = sign({
      method: "PUT",
      url: `${store.url}/${BUCKET}/${KEY}`,
      headers: { "content-length": String(v.size) },
      credentials,
      region,
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    this.#chunks = chunksOf(v);
    this.#request = httpRequest(signed.url, { method: "PUT", headers: signed.headers });
    this.outcome = new Promise((resolve) => {
      this.#request.once("response", (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0 });
      });
      this.#request.once("error", (error) => resolve({ error: error.message }));
    });
  }

  get sent(): number {
    return this.#sent;
  }

  /** Writes whole chunks until at least `bytes` have gone out (or the body is done). */
  async sendUntil(bytes: number): Promise<void> {
    while (this.#sent < bytes) {
      const next = this.#chunks.next();
      if (next.done) return;
      this.#sent += next.value.length;
      if (!this.#request.write(next.value)) {
        const drained = await Promise.race([
          new Promise<boolean>((resolve) => this.#request.once("drain", () => resolve(true))),
          this.outcome.then(() => false),
        ]);
        if (!drained) return;
      }
    }
  }

  /** Sends the rest of the body and ends the request. */
  async finish(): Promise<void> {
    await this.sendUntil(Number.POSITIVE_INFINITY);
    this.#request.end();
  }
}

// ---------------------------------------------------------------------------------------
// The data folder

/** Waits until the store's temporary file holds at least `bytes` (the kill lands mid-body). */
async function untilTemporaryHolds(dataDir: string, bytes: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const names = await readdir(join(dataDir, "tmp"));
    const sizes = await Promise.all(
      names.map((n) => stat(join(dataDir, "tmp", n)).then((s) => s.size)),
    );
    if (sizes.some((size) => size >= bytes)) return;
    if (Date.now() > deadline) {
      throw new Error(`the store's temporary file never reached ${bytes} bytes (${sizes})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function blobFiles(dataDir: string): Promise<string[]> {
  const blobs = join(dataDir, "blobs");
  const files: string[] = [];
  for (const dir of await readdir(blobs)) {
    for (const name of await readdir(join(blobs, dir))) files.push(join(blobs, dir, name));
  }
  return files;
}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Nothing stray: no temporary file, and exactly the blobs the metadata names — here,
 * with one key in the store, one blob holding the object's bytes, or none.
 */
async function assertNoStrayFiles(
  store: RunningStore,
  dataDir: string,
  object: Awaited<ReturnType<typeof getObject>>,
): Promise<void> {
  assert.deepEqual(await readdir(join(dataDir, "tmp")), [], "temporary files remain");
  const listing = await s3(store, "GET", `/${BUCKET}?list-type=2`);
  assert.equal(listing.status, 200, listing.text);
  const keyCount = Number(/<KeyCount>(\d+)<\/KeyCount>/.exec(listing.text)?.[1]);
  assert.equal(keyCount, object.found ? 1 : 0, listing.text);
  const blobs = await blobFiles(dataDir);
  if (!object.found) {
    assert.deepEqual(blobs, [], "blobs remain that no metadata names");
    return;
  }
  assert.equal(blobs.length, 1, `one object, but blobs: ${blobs.join(", ")}`);
  assert.equal(await md5OfFile(blobs[0] as string), object.md5, "the blob is not the object's");
}

async function freshStore(): Promise<{ dataDir: string; store: RunningStore }> {
  const dataDir = await mkdtemp(join(tmpdir(), "sluice-crash-"));
  const store = await startStore(dataDir);
  const created = await s3(store, "PUT", `/${BUCKET}`);
  assert.equal(created.status, 200, created.text);
  return { dataDir, store };
}

async function putWhole(store: RunningStore, v: Version): Promise<void> {
  const put = new StreamedPut(store, v);
  await put.finish();
  assert.deepEqual(await put.outcome, { status: 200 });
}

function assertHolds(object: Awaited<ReturnType<typeof getObject>>, v: Version): void {
  assert.deepEqual(object, { found: true, size: v.size, md5: md5Of(v) }, `expected ${v.name}`);
}

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------

describe("the store killed with SIGKILL", { timeout: 90_000 }, () => {
  const folders: string[] = [];
  after(async () => {
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  test("a 200 MiB PUT killed mid-body never appears, and leaves no file behind", async () => {
    const { dataDir, store } = await freshStore();
    folders.push(dataDir);
    const put = new StreamedPut(store, version("new", 200 * MiB));
    await put.sendUntil(64 * MiB);
    await untilTemporaryHolds(dataDir, 64 * MiB - IN_FLIGHT_SLACK_BYTES);
    await kill(store);
    assert.ok("error" in (await put.outcome), "the PUT was answered before the kill");

    const restarted = await startStore(dataDir);
    const object = await getObject(restarted);
    assert.deepEqual(object, { found: false, code: "NoSuchKey" });
    await assertNoStrayFiles(restarted, dataDir, object);
    await kill(restarted);
  });

  test("an overwrite killed mid-body leaves the old object, whole", async () => {
    const { dataDir, store } = await freshStore();
    folders.push(dataDir);
    const old = version("old", 8 * MiB + 12_345);
    await putWhole(store, old);

    const put = new StreamedPut(store, version("new", 200 * MiB));
    await put.sendUntil(48 * MiB);
    await untilTemporaryHolds(dataDir, 48 * MiB - IN_FLIGHT_SLACK_BYTES);
    await kill(store);
    assert.ok("error" in (await put.outcome), "the PUT was answered before the kill");

    const restarted = await startStore(dataDir);
    const object = await getObject(restarted);
    assertHolds(object, old);
    await assertNoStrayFiles(restarted, dataDir, object);
    await kill(restarted);
  });

  test("an overwrite answered 200 survives a SIGKILL the moment the answer arrives", async () => {
    const { dataDir, store } = await freshStore();
    folders.push(dataDir);
    const old = version("old", 3 * MiB);
    await putWhole(store, old);

    const fresh = version("new", 24 * MiB + 7);
    const put = new StreamedPut(store, fresh);
    void put.outcome.then(() => store.child.kill("SIGKILL"));
    await put.finish();
    assert.deepEqual(await put.outcome, { status: 200 });
    await kill(store);

    const restarted = await startStore(dataDir);
    const object = await getObject(restarted);
    assertHolds(object, fresh);
    await assertNoStrayFiles(restarted, dataDir, object);
    await kill(restarted);
  });

  test("kills at random moments of overwrites leave the old bytes or the new, whole, never part", async (t) => {
    const seed = Number(process.env.SLUICE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32));
    t.diagnostic(`SLUICE_CRASH_SEED=${seed}`);
    const random = seeded(seed);
    const kills = Number(process.env.SLUICE_CRASH_KILLS ?? 5);
    const size = 32 * MiB;

    const { dataDir, store: first } = await freshStore();
    folders.push(dataDir);
    let store = first;
    let current = version("v0", size);
    await putWhole(store, current);

    for (let round = 1; round <= kills; round++) {
      const next = version(`v${round}`, size);
      const put = new StreamedPut(store, next);
      // Two kills in five land after the last byte, in the window where the store
      // fsyncs, renames and commits; the others land at a random offset of the body.
      let moment: string;
      if (random() < 0.4) {
        const delayMs = Math.floor(random() * 120);
        moment = `${delayMs} ms after the last byte`;
        await put.finish();
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      } else {
        const offset = MiB + Math.floor(random() * (size - 2 * MiB));
        moment = `at byte ${offset}`;
        await put.sendUntil(offset);
        await untilTemporaryHolds(dataDir, Math.max(1, put.sent - IN_FLIGHT_SLACK_BYTES));
      }
      await kill(store);
      const outcome = await put.outcome;

      store = await startStore(dataDir);
      const object = await getObject(store);
      assert.ok(
        object.found,
        `kill ${round} (${moment}) lost the object: ${JSON.stringify(object)}`,
      );
      const holds = [current, next].find((v) => v.size === object.size && md5Of(v) === object.md5);
      assert.ok(
        holds,
        `kill ${round} (${moment}): the key holds neither ${current.name} nor ${next.name}, whole (size ${object.size})`,
      );
      t.diagnostic(
        `kill ${round} ${moment}: the client saw ${JSON.stringify(outcome)}; the key holds ${holds.name}`,
      );
      if ("status" in outcome && outcome.status === 200) {
        assert.equal(holds, next, `kill ${round}: a PUT answered 200 was lost`);
      }
      await assertNoStrayFiles(store, dataDir, object);
      current = holds;
    }

    // And the store still works on the folder the kills left.
    const last = version("after", 5 * MiB);
    await putWhole(store, last);
    assertHolds(await getObject(store), last);
    await kill(store);
  });

  test("a kill amid concurrent small overwrites leaves each key one version, whole, and no stray bytes", async (t) => {
    const seed = Number(process.env.SLUICE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32));
    t.diagnostic(`SLUICE_CRASH_SEED=${seed}`);
    const random = seeded(seed);
    const { dataDir, store } = await freshStore();
    folders.push(dataDir);
    const keys = Array.from({ length: 8 }, (_, i) => `small/${i}.txt`);
    // Every version of every key, by MD5; and the keys some PUT was answered 200 for.
    const sent = new Map(keys.map((key) => [key, new Set<string>()]));
    const acknowledged = new Set<string>();
    let stop = false;
    const writer = async (worker: number) => {
      for (let n = 0; !stop; n++) {
        const key = keys[Math.floor(random() * keys.length)] as string;
        // Small bodies (kept in the database), 1 byte to 16 KiB, each one different.
        const body = randomBytes(1 + Math.floor(random() * 16 * 1024));
        body.write(`${worker}:${n}:`);
        sent.get(key)?.add(createHash("md5").update(body).digest("hex"));
        const signed = sign({
          method: "PUT",
          url: `${store.url}/${BUCKET}/${key}`,
          credentials,
          region,
          body,
        });
        try {
          const response = await fetch(signed.url, {
            method: "PUT",
            headers: signed.headers,
            body,
          });
          await response.arrayBuffer();
          if (response.status === 200) acknowledged.add(key);
        } catch {
          return; // the store is gone
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, worker) => writer(worker));
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(random() * 250)));
    await kill(store);
    stop = true;
    await Promise.all(writers);
    assert.ok(acknowledged.size > 0, "no PUT was answered before the kill");

    const restarted = await startStore(dataDir);
    let present = 0;
    for (const key of keys) {
      const signed = sign({
        method: "GET",
        url: `${restarted.url}/${BUCKET}/${key}`,
        credentials,
        region,
      });
      const response = await fetch(signed.url, { headers: signed.headers });
      const bytes = Buffer.from(await response.arrayBuffer());
      if (response.status === 404) {
        assert.ok(!acknowledged.has(key), `${key}: a PUT answered 200 was lost`);
        continue;
      }
      assert.equal(response.status, 200, `${key}: ${bytes.toString()}`);
      present++;
      const md5 = createHash("md5").update(bytes).digest("hex");
      assert.ok(sent.get(key)?.has(md5), `${key} holds bytes no PUT sent, whole`);
      assert.equal(response.headers.get("etag"), `"${md5}"`, `${key}: the ETag is not its bytes'`);
    }
    t.diagnostic(`${acknowledged.size} keys acknowledged, ${present} present after the restart`);
    assert.deepEqual(await readdir(join(dataDir, "tmp")), [], "temporary files remain");
    assert.deepEqual(await blobFiles(dataDir), [], "small bodies became files");
    assert.equal(smallBodyCount(dataDir), present, "bodies remain that no object names");
    await kill(restarted);
  });
});
