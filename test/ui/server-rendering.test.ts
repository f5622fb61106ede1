/**
 * The components during server-side rendering, in Node, where there is no `window`,
 * `HTMLElement` or `customElements`: importing `@sluice/ui` touches none of them, and
 * React 18's and 19's `renderToString` render `UploadDropzone` and `UploadButton` as the
 * tag with its attributes (the element is defined later, in the browser, by an effect).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { build } from "esbuild";

const ROOT = new URL("../../", import.meta.url).pathname;

const SOURCE = `
import { createElement as h } from "react";
import { renderToString } from "react-dom/server";
import * as ui from "@sluice/ui";
import { UploadButton, UploadDropzone } from "@sluice/ui/react";

export const exported = Object.keys(ui);
export const html = renderToString(
  h("main", null,
    h(UploadDropzone, { route: "avatar", multiple: true, theme: "dark", className: "profile" }),
    h(UploadButton, { route: "file", endpoint: "/uploads", label: "Attach a file" }),
  ),
);
`;

async function renderWith(version: "18" | "19"): Promise<{ exported: string[]; html: string }> {
  const result = await build({
    stdin: { contents: SOURCE, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node20",
    conditions: ["source"],
    logLevel: "silent",
    alias: { react: `react${version}`, "react-dom": `react-dom${version}` },
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const file = join(mkdtempSync(join(tmpdir(), "sluice-ssr-")), "render.cjs");
  writeFileSync(file, result.outputFiles[0]?.text ?? "");
  return createRequire(import.meta.url)(file);
}

describe("@sluice/ui during server-side rendering", () => {
  it("runs in Node, which has no window, HTMLElement or customElements", () => {
    assert.equal(typeof (globalThis as { window?: unknown }).window, "undefined");
    assert.equal(typeof (globalThis as { HTMLElement?: unknown }).HTMLElement, "undefined");
    assert.equal(typeof (globalThis as { customElements?: unknown }).customElements, "undefined");
  });

  for (const version of ["18", "19"] as const) {
    it(`imports, and renders the tag with React ${version}'s renderToString`, async () => {
      const { exported, html } = await renderWith(version);
      assert.ok(exported.includes("defineSluiceDropzone"));
      assert.ok(exported.includes("createDropzoneController"));
      assert.match(
        html,
        /<sluice-dropzone endpoint="\/api\/uploads" route="avatar" multiple="" theme="dark" class="profile"><\/sluice-dropzone>/,
      );
      assert.match(
        html,
        /<sluice-dropzone endpoint="\/uploads" route="file" label="Attach a file" variant="button"><\/sluice-dropzone>/,
      );
    });
  }
});
