/**
 * The one flow every host of the upload API must pass, over real HTTP: create, the PUT
 * to the store with exactly the headers the API returned, complete (a verified record),
 * a 70 MiB multipart upload, an abort, and a sweep that settles an upload whose page
 * went away after its PUT. `sweep` is the host's own way to run the sweeper (an HTTP
 * call, or a Worker's scheduled event).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type {
  CreateUploadResponse,
  FileRecord,
  MultipartUpload,
  PartUrlsResponse,
  SingleUpload,
  UploadState,
} from "@sluice/server";

const MiB = 1024 * 1024;

/**
 * Bytes that verify as a PNG (the API checks magic bytes): the signature, an IHDR chunk,
 * and one IDAT chunk holding the rest. https://www.w3.org/TR/png-3/#5Chunk-layout
 */
export function pngBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  // Random in 1 MiB blocks, repeated: cheap, and no two parts' ETags alike by accident.
  const block = randomBytes(Math.min(size, MiB));
  for (let at = 0; at < size; at += block.length) bytes.set(block.subarray(0, size - at), at);
  const view = new DataView(bytes.buffer);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  view.setUint32(8, 13);
  bytes.set(new TextEncoder().encode("IHDR"), 12);
  view.setUint32(16, 1);
  view.setUint32(20, 1);
  bytes.set([8, 2, 0, 0, 0], 24);
  view.setUint32(33, size - 45);
  bytes.set(new TextEncoder().encode("IDAT"), 37);
  for (let at = MiB; at < size; at += MiB) bytes[at] = (at / MiB) & 0xff;
  return bytes;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function api<T>(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}/api/uploads${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  } catch {
    // A host's own error page (workerd's, for a request it cancelled as hung), not the API.
    throw new Error(`${method} /api/uploads${path} answered ${response.status}: ${text}`);
  }
}

async function put(url: string, headers: Record<string, string>, body: Uint8Array) {
  const response = await fetch(url, { method: "PUT", headers, body });
  const text = await response.text();
  assert.equal(response.status, 200, `PUT answered ${response.status}: ${text}`);
  return response.headers.get("etag") ?? "";
}

async function create(base: string, route: string, bytes: Uint8Array, withHash: boolean) {
  const created = await api<CreateUploadResponse>(base, "POST", "", {
    route,
    name: "picture.png",
    type: "image/png",
    size: bytes.length,
    ...(withHash ? { sha256: sha256(bytes) } : {}),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

export async function uploadFlow(base: string, sweep: () => Promise<void>): Promise<void> {
  // A single PUT with exactly the returned headers, then a verified record.
  const small = pngBytes(64 * 1024);
  const single = (await create(base, "files", small, true)) as SingleUpload;
  assert.equal(single.method, "PUT");
  await put(single.url, { ...single.headers }, small);
  const completed = await api<FileRecord>(base, "POST", `/${single.id}/complete`, {});
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  assert.equal(completed.body.id, single.id);
  assert.equal(completed.body.key, single.key);
  assert.equal(completed.body.size, small.length);
  assert.equal(completed.body.type, "image/png");
  assert.equal(completed.body.sha256, sha256(small));

  // 70 MiB in parts, each PUT to its own URL, completed with the ETags seen.
  const large = pngBytes(70 * MiB);
  const multipart = (await create(base, "files", large, false)) as MultipartUpload;
  const { partSize, partCount } = multipart.multipart;
  assert.equal(partCount, Math.ceil(large.length / partSize));
  const urls = await api<PartUrlsResponse>(base, "POST", `/${multipart.id}/parts`, {
    partNumbers: Array.from({ length: partCount }, (_, i) => i + 1),
  });
  assert.equal(urls.status, 200, JSON.stringify(urls.body));
  const parts: { partNumber: number; etag: string }[] = [];
  for (const part of urls.body.parts) {
    const from = (part.partNumber - 1) * partSize;
    const bytes = large.subarray(from, from + part.size);
    const etag = await put(part.url, { ...part.headers }, bytes);
    parts.push({ partNumber: part.partNumber, etag });
  }
  const done = await api<FileRecord>(base, "POST", `/${multipart.id}/complete`, { parts });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.size, 70 * MiB);
  assert.equal(done.body.key, multipart.key);

  // An abort: the upload ends, and says so.
  const given = (await create(base, "files", small, true)) as SingleUpload;
  assert.equal((await api(base, "DELETE", `/${given.id}`)).status, 204);
  const aborted = await api<UploadState>(base, "GET", `/${given.id}`);
  assert.equal(aborted.body.status, "aborted");

  // A page that went away after its PUT: the sweep completes the upload on its own.
  const left = (await create(base, "abandoned", small, true)) as SingleUpload;
  await put(left.url, { ...left.headers }, small);
  const before = await api<UploadState>(base, "GET", `/${left.id}`);
  assert.equal(before.body.status, "pending");
  // Its URL lives 1 s; the sweep settles it once that has passed.
  await new Promise((resolve) => setTimeout(resolve, Date.parse(left.expiresAt) - Date.now() + 50));
  const deadline = Date.now() + 30_000;
  for (;;) {
    await sweep();
    const state = await api<UploadState>(base, "GET", `/${left.id}`);
    if (state.body.status === "complete") break;
    assert.ok(Date.now() < deadline, `still ${state.body.status} after sweeping`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The sweep of a host that serves `POST /api/uploads/__sweep` (`fixtures/app.mjs`). */
export function sweepOver(base: string): () => Promise<void> {
  return async () => {
    const response = await fetch(`${base}/api/uploads/__sweep`, { method: "POST" });
    assert.equal(response.status, 200, await response.clone().text());
    await response.arrayBuffer();
  };
}
