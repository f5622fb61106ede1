/**
 * Multipart uploads survive SIGKILL. The store runs as a child process (`sluice store`,
 * see store-process.ts), is killed in the middle of a part and in the middle of
 * CompleteMultipartUpload, and is restarted on the same data folder. Required: "Uploads in progress survive a restart: ListParts after restart shows
 * the parts uploaded before it", and the object "becomes visible atomically — also under
 * SIGKILL during completion". After every restart the upload is resumable (its parts
 * listed) or the object is complete and whole, never partial, and the data folder holds
 * no temporary file and no blob the metadata does not name.
 *
 * Requests are signed with `@sluice/sigv4` (`UNSIGNED-PAYLOAD` for bodies) and sent over
 * loopback. Kill delays are fixed, so a failure replays.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { sign } from "@sluice/sigv4";
import { killStore, type RunningStore, startStoreProcess } from "./store-process.js";

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const credentials = { accessKeyId: "MPCRASHKEY", secretAccessKey: "multipart-crash-secret" };
const region = "auto";
const BUCKET = "mp-crash";

// ---------------------------------------------------------------------------------------
// The store as a child process

const startStore = (dataDir: string) => startStoreProcess(dataDir, credentials);
const kill = killStore;

// ---------------------------------------------------------------------------------------
// Signed requests

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

function signed(method: string, url: string, body?: Buffer) {
  return sign({
    method,
    url,
    credentials,
    region,
    ...(body === undefined
      ? {}
      : {
          payloadHash: "UNSIGNED-PAYLOAD",
          headers: { "content-length": String(body.length) },
        }),
  });
}

async function s3(
  store: RunningStore,
  method: string,
  path: string,
  body?: Buffer | string,
): Promise<Answer> {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const request = signed(method, `${store.url}${path}`, bytes);
  const { host: _host, "content-length": _length, ...headers } = request.headers;
  const response = await fetch(request.url, {
    method,
    headers,
    ...(bytes === undefined ? {} : { body: bytes }),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function codeOf(answer: Answer): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(answer.text)?.[1];
}

async function createUpload(store: RunningStore, key: string): Promise<string> {
  const answer = await s3(store, "POST", `/${BUCKET}/${key}?uploads`);
  assert.equal(answer.status, 200, answer.text);
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.text)?.[1];
  assert.ok(uploadId, answer.text);
  return uploadId;
}

async function uploadPart(
  store: RunningStore,
  key: string,
  uploadId: string,
  partNumber: number,
  body: Buffer,
): Promise<void> {
  const answer = await s3(
    store,
    "PUT",
    `/${BUCKET}/${key}?partNumber=${partNumber}&uploadId=${uploadId}`,
    body,
  );
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers.get("etag"), `"${md5Hex(body)}"`);
}

/** Part number → [size, ETag], as ListParts says; or the error code. */
async function listParts(
  store: RunningStore,
  key: string,
  uploadId: string,
): Promise<Map<number, [number, string]> | string> {
  const answer = await s3(store, "GET", `/${BUCKET}/${key}?uploadId=${uploadId}`);
  if (answer.status !== 200) return codeOf(answer) ?? String(answer.status);
  const parts = new Map<number, [number, string]>();
  for (const match of answer.text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const part = match[1] as string;
    const number = Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part)?.[1]);
    const size = Number(/<Size>(\d+)<\/Size>/.exec(part)?.[1]);
    const etag = (/<ETag>([^<]*)<\/ETag>/.exec(part)?.[1] ?? "").replaceAll("&quot;", '"');
    parts.set(number, [size, etag]);
  }
  return parts;
}

function completionBody(bodies: readonly Buffer[]): string {
  return `<CompleteMultipartUpload>${bodies
    .map((b, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${md5Hex(b)}"</ETag></Part>`)
    .join("")}</CompleteMultipartUpload>`;
}

/** GETs the key: its size, SHA-256 and ETag, or the error code. */
async function getObject(
  store: RunningStore,
  key: string,
): Promise<
  { found: true; size: number; sha256: string; etag: string } | { found: false; code: string }
> {
  const request = signed("GET", `${store.url}/${BUCKET}/${key}`);
  const response = await fetch(request.url, { headers: request.headers });
  if (response.status !== 200) {
    const text = await response.text();
    return { found: false, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `${response.status}` };
  }
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return {
    found: true,
    size,
    sha256: hash.digest("hex"),
    etag: response.headers.get("etag") ?? "",
  };
}

// ---------------------------------------------------------------------------------------
// Bytes and digests

function md5Hex(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

function wholeObject(bodies: readonly Buffer[]) {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  for (const body of bodies) {
    sha256.update(body);
    md5.update(createHash("md5").update(body).digest());
  }
  return {
    found: true as const,
    size: bodies.reduce((sum, b) => sum + b.length, 0),
    sha256: sha256.digest("hex"),
    etag: `"${md5.digest("hex")}-${bodies.length}"`,
  };
}

// ---------------------------------------------------------------------------------------
// The data folder

/** Every file under `dir`, at any depth; none when it does not exist. */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else files.push(path);
  }
  return files;
}

/** Part and object bytes (`<data>/blobs`), and bytes still arriving (`<data>/tmp`, if any). */
async function dataFiles(dataDir: string): Promise<{ blobs: string[]; temporary: string[] }> {
  return {
    blobs: await filesUnder(join(dataDir, "blobs")),
    temporary: await filesUnder(join(dataDir, "tmp")),
  };
}

/**
 * Nothing stray: no temporary file, and exactly the blobs of `expected` (bytes of parts
 * held by uploads or objects), compared by MD5 as multisets.
 */
async function assertDataFolderHolds(dataDir: string, expected: readonly Buffer[]): Promise<void> {
  const { blobs, temporary } = await dataFiles(dataDir);
  assert.deepEqual(temporary, [], "temporary files remain");
  const held = await Promise.all(blobs.map(async (path) => md5Hex(await readFile(path))));
  assert.deepEqual(
    held.sort(),
    expected.map(md5Hex).sort(),
    "the blobs are not exactly the parts the metadata names",
  );
}

/** Waits until a file not in `known` holds at least `bytes`: the kill lands mid-part. */
async function untilNewFileHolds(
  dataDir: string,
  known: ReadonlySet<string>,
  bytes: number,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { blobs, temporary } = await dataFiles(dataDir);
    const fresh = [...blobs, ...temporary].filter((path) => !known.has(path));
    const sizes = await Promise.all(
      fresh.map((path) =>
        stat(path).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    if (sizes.some((size) => size >= bytes)) return;
    if (Date.now() > deadline) {
      throw new Error(`no new file reached ${bytes} bytes (${sizes.join(", ")})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A part PUT whose body goes out as the test says, so the kill lands where it wants. */
class StreamedPart {
  readonly outcome: Promise<{ status: number } | { error: string }>;
  readonly #request;

  constructor(
    store: RunningStore,
    key: string,
    uploadId: string,
    partNumber: number,
    size: number,
  ) {
    const request = sign({
      method: "PUT",
      url: `${store.url}/${BUCKET}/${key}?partNumber=${partNumber}&uploadId=${uploadId}`,
      headers: { "content-length": String(size) },
      credentials,
      region,
      payloadHash: "UNSIGNED-PAYLOAD",
    });
    this.#request = httpRequest(request.url, { method: "PUT", headers: request.headers });
    this.outcome = new Promise((resolve) => {
      this.#request.once("response", (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0 });
      });
      this.#request.once("error", (error) => resolve({ error: error.message }));
    });
  }

  write(bytes: Buffer): void {
    this.#request.write(bytes);
  }

  end(bytes: Buffer): void {
    this.#request.end(bytes);
  }
}

async function freshStore(folders: string[]): Promise<{ dataDir: string; store: RunningStore }> {
  const dataDir = await mkdtemp(join(tmpdir(), "sluice-mp-crash-"));
  folders.push(dataDir);
  const store = await startStore(dataDir);
  const created = await s3(store, "PUT", `/${BUCKET}`);
  assert.equal(created.status, 200, created.text);
  return { dataDir, store };
}

// ---------------------------------------------------------------------------------------

describe("multipart uploads under SIGKILL", { timeout: 120_000 }, () => {
  const folders: string[] = [];
  after(async () => {
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  test("a kill mid-part keeps the parts completed before it; the upload resumes and completes", async () => {
    const { dataDir, store } = await freshStore(folders);
    const key = "video/resumed.bin";
    const uploadId = await createUpload(store, key);
    const bodies = [randomBytes(PART), randomBytes(PART), randomBytes(PART), randomBytes(MiB + 3)];
    await uploadPart(store, key, uploadId, 1, bodies[0] as Buffer);
    await uploadPart(store, key, uploadId, 2, bodies[1] as Buffer);

    // Part 3 goes out slowly: 2 MiB of its 5, then the store dies.
    const { blobs: before } = await dataFiles(dataDir);
    const third = new StreamedPart(store, key, uploadId, 3, PART);
    third.write((bodies[2] as Buffer).subarray(0, 2 * MiB));
    await untilNewFileHolds(dataDir, new Set(before), MiB);
    await kill(store);
    assert.ok("error" in (await third.outcome), "part 3 was answered before the kill");

    const restarted = await startStore(dataDir);
    const listed = await listParts(restarted, key, uploadId);
    assert.deepEqual(
      listed,
      new Map([
        [1, [PART, `"${md5Hex(bodies[0] as Buffer)}"`]],
        [2, [PART, `"${md5Hex(bodies[1] as Buffer)}"`]],
      ]),
    );
    await assertDataFolderHolds(dataDir, bodies.slice(0, 2));

    // The client carries on from what ListParts said.
    await uploadPart(restarted, key, uploadId, 3, bodies[2] as Buffer);
    await uploadPart(restarted, key, uploadId, 4, bodies[3] as Buffer);
    const done = await s3(
      restarted,
      "POST",
      `/${BUCKET}/${key}?uploadId=${uploadId}`,
      completionBody(bodies),
    );
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(await getObject(restarted, key), wholeObject(bodies));
    await assertDataFolderHolds(dataDir, bodies);
    await kill(restarted);
  });

  test("kills right after a part's last byte leave that part listed whole, old or new", async (t) => {
    const { dataDir, store: first } = await freshStore(folders);
    let store = first;
    const key = "video/late-kill.bin";
    const uploadId = await createUpload(store, key);
    const one = randomBytes(PART);
    // The kill moments home in on the window where the part is fsynced and committed:
    // starting from how long a part takes, later after a kill that kept the old bytes,
    // earlier after one that kept the new.
    const started = performance.now();
    await uploadPart(store, key, uploadId, 1, one);
    let delayMs = Math.round(performance.now() - started);
    let current = one;
    const outcomes: string[] = [];
    for (let round = 0; round < 7; round++) {
      // Part 1 again, new bytes: the kill lands while they are fsynced, renamed, committed.
      const next = randomBytes(PART);
      const part = new StreamedPart(store, key, uploadId, 1, PART);
      part.end(next);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await kill(store);
      const outcome = await part.outcome;
      store = await startStore(dataDir);
      const listed = await listParts(store, key, uploadId);
      assert.ok(typeof listed !== "string", `the upload is gone: ${listed}`);
      const [size, etag] = listed.get(1) ?? [0, ""];
      assert.equal(size, PART, `${delayMs} ms: part 1 is cut`);
      if ("status" in outcome && outcome.status === 200) {
        assert.equal(etag, `"${md5Hex(next)}"`, `${delayMs} ms: an answered part was lost`);
      }
      assert.ok(
        etag === `"${md5Hex(next)}"` || etag === `"${md5Hex(current)}"`,
        `${delayMs} ms: part 1 holds neither version`,
      );
      if (etag === `"${md5Hex(next)}"`) current = next;
      outcomes.push(`${delayMs} ms: ${current === next ? "new" : "old"}`);
      delayMs = Math.max(1, Math.round(current === next ? delayMs * 0.7 : delayMs * 1.5));
      await assertDataFolderHolds(dataDir, [current]);
    }
    t.diagnostic(outcomes.join("; "));
    await kill(store);
  });

  test("kills during CompleteMultipartUpload leave the upload resumable or the object whole, never partial", async (t) => {
    const { dataDir, store: first } = await freshStore(folders);
    let store = first;
    const held: Buffer[] = [];
    const outcomes: string[] = [];
    for (const [round, delayMs] of [0, 0, 1, 2, 3, 5, 8].entries()) {
      const key = `video/round-${round}.bin`;
      const uploadId = await createUpload(store, key);
      const bodies = [randomBytes(PART), randomBytes(PART), randomBytes(PART), randomBytes(777)];
      for (const [i, body] of bodies.entries()) await uploadPart(store, key, uploadId, i + 1, body);
      held.push(...bodies);

      const path = `/${BUCKET}/${key}?uploadId=${uploadId}`;
      const completing = s3(store, "POST", path, completionBody(bodies)).then(
        (answer) => answer.status,
        () => "no answer" as const,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await kill(store);
      const answered = await completing;

      store = await startStore(dataDir);
      const object = await getObject(store, key);
      const listed = await listParts(store, key, uploadId);
      if (object.found) {
        outcomes.push(`${delayMs} ms: complete`);
        assert.deepEqual(object, wholeObject(bodies), `${delayMs} ms: the object is not whole`);
        assert.equal(listed, "NoSuchUpload", `${delayMs} ms: completed, yet the upload is listed`);
        // Completing again with the same list is answered as the first time.
        const again = await s3(store, "POST", path, completionBody(bodies));
        assert.equal(again.status, 200, again.text);
        assert.match(
          again.text,
          new RegExp(`<ETag>&quot;${object.etag.slice(1, -1)}&quot;</ETag>`),
        );
      } else {
        outcomes.push(`${delayMs} ms: resumable`);
        assert.equal(object.code, "NoSuchKey");
        assert.notEqual(answered, 200, `${delayMs} ms: answered 200, yet the object is gone`);
        assert.ok(
          typeof listed !== "string",
          `${delayMs} ms: neither object nor upload: ${listed}`,
        );
        assert.deepEqual(
          [...listed.entries()],
          bodies.map((b, i) => [i + 1, [b.length, `"${md5Hex(b)}"`]]),
          `${delayMs} ms: the upload lost parts`,
        );
        await assertDataFolderHolds(dataDir, held);
        const resumed = await s3(store, "POST", path, completionBody(bodies));
        assert.equal(resumed.status, 200, resumed.text);
        assert.deepEqual(await getObject(store, key), wholeObject(bodies));
      }
      await assertDataFolderHolds(dataDir, held);
    }
    t.diagnostic(outcomes.join("; "));
    await kill(store);
  });
});
