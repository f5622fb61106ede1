/**
 * `checkFile` makes the upload API's own type and size checks in the page: the same
 * decisions, codes and words as `POST /api/uploads` (create-upload.ts), so a refused
 * file needs no request.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkFile, formatBytes, type RouteDescription } from "@sluice/client";

const avatar: RouteDescription = {
  route: "avatar",
  types: ["image/jpeg", "image/png"],
  maxSize: 5 * 1024 * 1024,
  minSize: 10,
  multipartThreshold: 64 * 1024 * 1024,
  partSize: 8 * 1024 * 1024,
};

describe("checkFile", () => {
  const cases: [
    string,
    { name: string; type: string; size: number },
    string | undefined,
    string?,
  ][] = [
    ["a JPEG within the limits", { name: "a.jpg", type: "image/jpeg", size: 1000 }, undefined],
    [
      "a type in other case and with spaces",
      { name: "a.png", type: " IMAGE/PNG ", size: 1000 },
      undefined,
    ],
    [
      "exactly the largest size",
      { name: "a.png", type: "image/png", size: 5 * 1024 * 1024 },
      undefined,
    ],
    [
      "a type the route does not take",
      { name: "a.gif", type: "image/gif", size: 1000 },
      "type_not_allowed",
      "image/gif files are not allowed here; allowed: image/jpeg, image/png",
    ],
    [
      "a file without a type, declared as the uploader declares it",
      { name: "a", type: "", size: 1000 },
      "type_not_allowed",
      "application/octet-stream files are not allowed here; allowed: image/jpeg, image/png",
    ],
    [
      "one byte over the largest size",
      { name: "a.png", type: "image/png", size: 5 * 1024 * 1024 + 1 },
      "too_large",
      "the file has 5 MiB; this route takes at most 5 MiB",
    ],
    [
      "under the smallest size",
      { name: "a.png", type: "image/png", size: 3 },
      "too_small",
      "the file has 3 bytes; this route takes at least 10 bytes",
    ],
  ];
  for (const [what, file, code, message] of cases) {
    it(`${code ? "refuses" : "accepts"} ${what}`, () => {
      const refusal = checkFile(avatar, file);
      assert.equal(refusal?.code, code);
      if (refusal) {
        assert.equal(refusal.kind, "refused");
        assert.equal(refusal.message, message);
      }
    });
  }

  it("writes sizes as the API does", () => {
    assert.deepEqual([0, 1023, 1024, 1536, 5 * 1024 * 1024, 2 * 1024 ** 3].map(formatBytes), [
      "0 bytes",
      "1023 bytes",
      "1 KiB",
      "1.5 KiB",
      "5 MiB",
      "2 GiB",
    ]);
  });
});
