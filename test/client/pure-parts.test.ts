/**
 * The client's pure parts, in Node: backoff, progress arithmetic, the multipart plan and
 * resume bookkeeping, part URL batching, S3 error parsing, and the upload store behind
 * the React hook.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createUploadStore, RESUME_MAX_AGE_MS, UploadError } from "@sluice/client";
import type { PartUrl } from "@sluice/protocol";
import { fullJitterDelay, retryAfterMs } from "../../packages/client/src/backoff.js";
import { PartUrls } from "../../packages/client/src/part-urls.js";
import {
  nextUrlBatch,
  partRange,
  partsToSend,
  planFits,
  storedBytes,
} from "../../packages/client/src/plan.js";
import { ProgressTracker } from "../../packages/client/src/progress.js";
import { ResumeStore, resumeKey } from "../../packages/client/src/resume.js";
import { parseS3Error, storeRefusalMessage } from "../../packages/client/src/upload-error.js";
import { exposedHeaders, headerList } from "../../packages/client/src/xhr.js";

const MiB = 1024 * 1024;

describe("full-jitter backoff", () => {
  test("waits between 0 and min(cap, base × 2^(attempt-1))", () => {
    assert.equal(
      fullJitterDelay(1, {}, () => 0),
      0,
    );
    assert.equal(
      fullJitterDelay(1, {}, () => 0.999_999),
      499,
    );
    assert.equal(
      fullJitterDelay(3, { baseMs: 100 }, () => 0.5),
      200,
    );
    assert.equal(
      fullJitterDelay(30, { baseMs: 500, capMs: 20_000 }, () => 0.5),
      10_000,
    );
    assert.equal(
      fullJitterDelay(0, {}, () => 0.5),
      250,
      "attempt 0 counts as the first",
    );
  });

  test("Retry-After as seconds or as an HTTP date", () => {
    assert.equal(retryAfterMs("3", 0), 3_000);
    assert.equal(retryAfterMs("Thu, 01 Jan 1970 00:00:10 GMT", 4_000), 6_000);
    assert.equal(retryAfterMs("soon", 0), undefined);
    assert.equal(retryAfterMs(null, 0), undefined);
  });
});

describe("progress", () => {
  test("never moves back when a part starts again, and stops at 99% until complete", () => {
    let now = 0;
    const progress = new ProgressTracker(10 * MiB, () => now);
    progress.update(1, 4 * MiB);
    progress.update(2, 4 * MiB);
    assert.equal(progress.snapshot().loaded, 8 * MiB);
    progress.reset(2); // part 2 failed
    progress.update(2, 1 * MiB);
    assert.equal(progress.snapshot().loaded, 8 * MiB, "the bar waits for the retry");
    progress.finish(1, 5 * MiB);
    progress.finish(2, 5 * MiB);
    now = 1_000;
    const sent = progress.snapshot();
    assert.equal(sent.loaded, 10 * MiB);
    assert.equal(sent.percent, 99);
    assert.equal(sent.fraction, 0.99);
    progress.complete();
    assert.equal(progress.snapshot().percent, 100);
    assert.equal(progress.snapshot().fraction, 1);
    assert.equal(progress.snapshot().etaSeconds, 0);
  });

  test("speed is bytes actually sent (retries included) over the last seconds; ETA follows", () => {
    let now = 0;
    const progress = new ProgressTracker(100 * MiB, () => now, 5_000);
    assert.equal(progress.snapshot().bytesPerSecond, 0);
    assert.equal(progress.snapshot().etaSeconds, undefined);
    for (let second = 1; second <= 10; second++) {
      now = second * 1_000;
      progress.update(0, second * 2 * MiB);
    }
    const at10 = progress.snapshot();
    assert.equal(at10.bytesPerSecond, 2 * MiB);
    assert.equal(at10.etaSeconds, 40);
    now = 15_000; // nothing for five seconds: the speed falls
    assert.ok(progress.snapshot().bytesPerSecond < 2 * MiB);
  });

  test("bytes already in the store count from the start (resume)", () => {
    const progress = new ProgressTracker(16 * MiB, () => 0);
    progress.addStored(8 * MiB);
    assert.equal(progress.snapshot().loaded, 8 * MiB);
    assert.equal(progress.snapshot().percent, 50);
  });

  test("an empty file is 0% until complete, then 100%", () => {
    const progress = new ProgressTracker(0);
    assert.equal(progress.snapshot().percent, 0);
    progress.complete();
    assert.equal(progress.snapshot().percent, 100);
  });
});

describe("the multipart plan", () => {
  const plan = { partSize: 8 * MiB, partCount: 3 };
  const size = 20 * MiB;

  test("part ranges, the last one shorter", () => {
    assert.deepEqual(partRange(plan, size, 1), { start: 0, end: 8 * MiB });
    assert.deepEqual(partRange(plan, size, 3), { start: 16 * MiB, end: 20 * MiB });
    assert.throws(() => partRange(plan, size, 4), RangeError);
    assert.throws(() => partRange(plan, size, 0), RangeError);
  });

  test("parts to send: those the store lacks, or holds at another size", () => {
    assert.deepEqual(partsToSend(plan, size), [1, 2, 3]);
    const stored = [
      { partNumber: 1, size: 8 * MiB, etag: "a" },
      { partNumber: 3, size: 1 * MiB, etag: "c" },
    ];
    assert.deepEqual(partsToSend(plan, size, stored), [2, 3]);
    assert.equal(storedBytes(plan, size, stored), 8 * MiB);
  });

  test("a saved upload fits only a file of the size it was planned for", () => {
    assert.equal(planFits(plan, size), true);
    assert.equal(planFits(plan, 30 * MiB), false);
    assert.equal(planFits({ partSize: 0, partCount: 0 }, 0), false);
  });

  test("URL batches: the part needed now, then the next without URLs", () => {
    const has = (n: number) => n === 3;
    assert.deepEqual(nextUrlBatch(2, [2, 3, 4, 5, 6, 7], has, 4), [2, 4, 5, 6]);
    assert.deepEqual(nextUrlBatch(9, [], has, 4), [9]);
  });
});

describe("part URLs, just in time", () => {
  const url = (partNumber: number, expiresAt: number): PartUrl => ({
    partNumber,
    method: "PUT",
    url: `https://store/b/k?partNumber=${partNumber}`,
    headers: {},
    size: 5 * MiB,
    expiresAt: new Date(expiresAt).toISOString(),
  });

  test("parallel workers share one request for a batch", async () => {
    const asked: number[][] = [];
    const unfinished = [1, 2, 3, 4, 5, 6, 7, 8];
    const urls = new PartUrls({
      fetchBatch: async (numbers) => {
        asked.push(numbers);
        return numbers.map((n) => url(n, Date.now() + 300_000));
      },
      upcoming: () => unfinished,
      batchSize: 4,
    });
    const got = await Promise.all([1, 2, 3, 4].map((n) => urls.get(n)));
    assert.deepEqual(
      got.map((u) => u.partNumber),
      [1, 2, 3, 4],
    );
    assert.deepEqual(asked, [[1, 2, 3, 4]], "one request signs the first four");
    unfinished.splice(0, 4);
    await Promise.all([5, 6].map((n) => urls.get(n)));
    assert.deepEqual(asked, [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    await urls.get(7);
    assert.equal(asked.length, 2, "part 7's URL was signed with 5's, and reused");
  });

  test("a URL about to expire, or invalidated, is signed again", async () => {
    let now = 0;
    let calls = 0;
    const urls = new PartUrls({
      fetchBatch: async (numbers) => {
        calls++;
        return numbers.map((n) => url(n, now + 60_000));
      },
      upcoming: () => [],
      batchSize: 4,
      now: () => now,
      marginMs: 30_000,
    });
    await urls.get(1);
    await urls.get(1);
    assert.equal(calls, 1);
    now = 40_000; // 20 s left: under the margin
    await urls.get(1);
    assert.equal(calls, 2);
    urls.invalidate(1);
    await urls.get(1);
    assert.equal(calls, 3);
  });
});

describe("resume after reload", () => {
  class MapStorage {
    readonly map = new Map<string, string>();
    getItem(key: string) {
      return this.map.get(key) ?? null;
    }
    setItem(key: string, value: string) {
      this.map.set(key, value);
    }
    removeItem(key: string) {
      this.map.delete(key);
    }
  }
  const file = { name: "clip.mp4", size: 64 * MiB, lastModified: 1_700_000_000_000 };

  test("keyed by endpoint, route and the file's name, size and last change", () => {
    const key = resumeKey("/api/uploads", "file", file);
    assert.notEqual(key, resumeKey("/api/uploads", "file", { ...file, lastModified: 1 }));
    assert.notEqual(key, resumeKey("/api/uploads", "file", { ...file, size: 1 }));
    assert.notEqual(key, resumeKey("/api/uploads", "avatar", file));
    assert.notEqual(key, resumeKey("/other", "file", file));
  });

  test("saves, loads and forgets an upload id; drops old and unreadable entries", () => {
    let now = 1_000;
    const storage = new MapStorage();
    const resume = new ResumeStore(storage, () => now);
    const key = resumeKey("/api/uploads", "file", file);
    assert.equal(resume.load(key), undefined);
    resume.save(key, "upl_1");
    assert.deepEqual(resume.load(key), { id: "upl_1", savedAt: 1_000 });
    now += RESUME_MAX_AGE_MS + 1;
    assert.equal(resume.load(key), undefined);
    assert.equal(storage.map.size, 0);
    storage.setItem(key, "{not json");
    assert.equal(resume.load(key), undefined);
    assert.equal(storage.map.size, 0);
  });

  test("storage that throws (private mode, quota) only means no resume", () => {
    const throwing = {
      getItem(): string | null {
        throw new Error("SecurityError");
      },
      setItem() {
        throw new Error("QuotaExceededError");
      },
      removeItem() {
        throw new Error("SecurityError");
      },
    };
    const resume = new ResumeStore(throwing);
    resume.save("k", "id");
    assert.equal(resume.load("k"), undefined);
    resume.forget("k");
    assert.equal(new ResumeStore(undefined).load("k"), undefined);
  });
});

describe("the store's answers", () => {
  test("reads S3's error document, entities decoded", () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>Likely cause: content-type was &quot;image/png, image/png&quot; &amp; not &lt;image/png&gt;</Message><RequestId>1</RequestId></Error>`;
    assert.deepEqual(parseS3Error(body), {
      code: "SignatureDoesNotMatch",
      message: 'Likely cause: content-type was "image/png, image/png" & not <image/png>',
    });
    assert.equal(parseS3Error(""), undefined);
    assert.equal(parseS3Error("<html>502 Bad Gateway</html>"), undefined);
    assert.equal(parseS3Error("<Error><Message>no code</Message></Error>"), undefined);
  });

  test("messages for people", () => {
    assert.match(
      storeRefusalMessage(
        403,
        { code: "ExpiredRequest", message: "Request has expired" },
        "Part 2",
      ),
      /^Part 2 took longer than its upload URL lasts/,
    );
    assert.equal(
      storeRefusalMessage(502, undefined, "The upload of a.png"),
      "The upload of a.png was refused by the storage service (HTTP 502).",
    );
    const error = new UploadError("storage", "m", { status: 403, code: "AccessDenied" });
    assert.equal(error.name, "UploadError");
    assert.ok(error instanceof Error);
  });

  test("only the headers CORS exposes are read, and each header is set once", () => {
    assert.deepEqual(exposedHeaders('etag: "abc"\r\ncontent-length: 0\r\nRetry-After: 2\r\n'), {
      etag: '"abc"',
      retryAfter: "2",
    });
    assert.deepEqual(exposedHeaders(""), { etag: null, retryAfter: null });
    assert.deepEqual(
      headerList({ "Content-Type": "a", "content-type": "b", "if-none-match": "*" }),
      [
        ["content-type", "b"],
        ["if-none-match", "*"],
      ],
    );
  });
});

describe("the upload store behind useUpload", () => {
  test("publishes a new snapshot on each change, and ends with the record", async () => {
    const listeners: ((status: string) => void)[] = [];
    const record = { id: "u1", key: "k" } as never;
    const fakeUploader = {
      upload(
        _file: unknown,
        options: { onStatus?: (s: string) => void; onProgress?: (p: unknown) => void },
      ) {
        let status = "queued";
        let done: (value: unknown) => void = () => {};
        const handle = {
          get status() {
            return status;
          },
          progress: { percent: 0 },
          error: undefined,
          get record() {
            return status === "done" ? record : undefined;
          },
          file: _file,
          result: new Promise((resolve) => {
            done = resolve;
          }),
          pause() {},
          resume() {},
          abort() {},
        };
        listeners.push((next) => {
          status = next;
          options.onStatus?.(next);
          if (next === "done") done(record);
        });
        return handle;
      },
    };
    const store = createUploadStore(fakeUploader as never, { route: "avatar" });
    assert.equal(store.getSnapshot().status, "idle");
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getSnapshot().status));
    const first = store.getSnapshot();
    const finished = store.start({ name: "a.png" } as never);
    assert.notEqual(store.getSnapshot(), first);
    listeners[0]?.("uploading");
    listeners[0]?.("done");
    assert.equal(await finished, record);
    assert.deepEqual(seen, ["queued", "uploading", "done", "done"]);
    assert.equal(store.getSnapshot().record, record);
  });
});
