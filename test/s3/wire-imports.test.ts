/**
 * `@sluice/s3`'s wire runs in the browser: its files import one another and `@sluice/cors`
 * (the XML reader and escaper), never Node, never `@sluice/sigv4` (no signing, no secrets
 * in a page), never the S3 client or the diagnosis beside them.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../packages/s3/src/", import.meta.url));
const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm;

function importsOf(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(IMPORT)].map((m) => m[1] as string);
}

describe("the S3 wire's imports", () => {
  const files = [
    join(SRC, "index.ts"),
    ...readdirSync(join(SRC, "wire"))
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
      .map((name) => join(SRC, "wire", name)),
  ];

  it("finds the wire's files and their imports", () => {
    assert.ok(files.length >= 6);
    assert.ok(importsOf(join(SRC, "index.ts")).includes("./wire/xml.js"));
  });

  for (const file of files) {
    it(`${file.slice(SRC.length)} imports only the wire and @sluice/cors`, () => {
      for (const specifier of importsOf(file)) {
        const allowed =
          specifier === "@sluice/cors" ||
          (file.endsWith("index.ts")
            ? specifier.startsWith("./wire/")
            : specifier.startsWith("./"));
        assert.ok(allowed, `${file.slice(SRC.length)} imports ${specifier}`);
      }
    });
  }
});
