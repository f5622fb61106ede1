/**
 * One upload's state machine, in Node: the moves its status may make, the ones it
 * ignores, and what a pause, a resume and an abort do to the requests in flight.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UploadLifecycle, type UploadStatus } from "../../packages/client/src/lifecycle.js";
import { UploadError } from "../../packages/client/src/upload-error.js";

function watched(): { lifecycle: UploadLifecycle; seen: UploadStatus[] } {
  const seen: UploadStatus[] = [];
  return { lifecycle: new UploadLifecycle((status) => seen.push(status)), seen };
}

describe("an upload's lifecycle", () => {
  test("queued → uploading ⇄ paused → done, each change reported once", () => {
    const { lifecycle, seen } = watched();
    assert.equal(lifecycle.status, "queued");
    lifecycle.start();
    lifecycle.start();
    lifecycle.pause();
    lifecycle.pause();
    lifecycle.resume();
    lifecycle.resume();
    lifecycle.succeed();
    assert.deepEqual(seen, ["uploading", "paused", "uploading", "done"]);
  });

  test("a queued upload may be paused; resume outside a pause does nothing", () => {
    const { lifecycle, seen } = watched();
    lifecycle.resume();
    assert.equal(lifecycle.status, "queued");
    lifecycle.pause();
    assert.equal(lifecycle.status, "paused");
    assert.deepEqual(seen, ["paused"]);
  });

  test("abort after the end changes nothing; before it, it stops with an aborted UploadError", () => {
    const done = new UploadLifecycle();
    done.start();
    done.succeed();
    done.abort("The upload of a.png");
    assert.equal(done.signal.aborted, false);
    assert.equal(done.abortRequested, false);

    const running = new UploadLifecycle();
    running.start();
    running.abort("The upload of a.png");
    assert.equal(running.abortRequested, true);
    const reason = running.signal.reason as UploadError;
    assert.ok(reason instanceof UploadError);
    assert.equal(reason.kind, "aborted");
    assert.equal(reason.message, "The upload of a.png was cancelled.");
  });

  test("a failure ends in failed and stops everything; an aborted one ends in aborted", () => {
    const failing = new UploadLifecycle();
    failing.start();
    const error = new UploadError("rejected", "The upload API refused it.");
    failing.fail(error);
    assert.equal(failing.status, "failed");
    assert.equal(failing.signal.reason, error);

    const aborting = new UploadLifecycle();
    aborting.start();
    aborting.abort("The upload of b.png");
    aborting.fail(aborting.signal.reason as UploadError);
    assert.equal(aborting.status, "aborted");
  });

  test("a pause ends the requests in flight as a pause, not as a failure; resume lets them go again", async () => {
    const lifecycle = new UploadLifecycle();
    lifecycle.start();
    const request = lifecycle.requestSignal();
    lifecycle.pause();
    assert.equal(request.signal.aborted, true);
    assert.equal(lifecycle.endedByPause(request.signal.reason), true);
    assert.equal(lifecycle.signal.aborted, false);
    request.dispose();

    let waited = false;
    const waiting = lifecycle.whileNotPaused().then(() => {
      waited = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(waited, false, "still paused");
    lifecycle.resume();
    await waiting;
    assert.equal(waited, true);
    const next = lifecycle.requestSignal();
    assert.equal(next.signal.aborted, false);
    assert.equal(lifecycle.endedByPause(new Error("network")), false);
    next.dispose();
  });

  test("an abort while paused ends the wait with the abort's error", async () => {
    const lifecycle = new UploadLifecycle();
    lifecycle.start();
    lifecycle.pause();
    const waiting = lifecycle.whileNotPaused();
    lifecycle.abort("The upload of c.png");
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof UploadError);
      assert.equal(error.kind, "aborted");
      return true;
    });
  });

  test("stopWith keeps the first reason", () => {
    const lifecycle = new UploadLifecycle();
    const first = new Error("first");
    lifecycle.stopWith(first);
    lifecycle.stopWith(new Error("second"));
    assert.equal(lifecycle.signal.reason, first);
  });
});
