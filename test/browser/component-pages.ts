/**
 * Pages for the upload components, opened on the demo app's origin (so the page, its
 * session cookie and the upload API share one origin, and the store is another): the
 * page's script is bundled here by esbuild from the packages' TypeScript sources, with
 * React 18 or 19 (installed under the aliases `react18`/`react19`) where a page uses React.
 * The page's code is a string: this folder is type-checked for Node, without the DOM.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";
import type { Page } from "playwright-core";

const ROOT = new URL("../../", import.meta.url).pathname;

export type ReactVersion = "18" | "19";

/** Bundles `source` (TypeScript, run as a module in the page) for Chromium. */
export async function bundlePage(source: string, react?: ReactVersion): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, loader: "ts", sourcefile: "page.ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"development"' },
    ...(react
      ? {
          alias: {
            react: `react${react}`,
            "react-dom": `react-dom${react}`,
          },
        }
      : {}),
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error("esbuild produced no bundle for the page");
  return js;
}

/** An HTML page with a heading and a landmark, as a real page has; its script comes apart. */
export function pageHtml(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <style>
      body { margin: 0; font-family: system-ui, sans-serif; }
      main { max-width: 720px; margin: 0 auto; padding: 24px 16px; }
      @media (prefers-color-scheme: dark) { body { background: #010409; color: #e6edf3; } }
    </style>
  </head>
  <body>
    <main>
      <h1>${title}</h1>
      ${body}
    </main>
  </body>
</html>`;
}

/**
 * Opens `html` on the app's origin and runs `js` in it as a module. The document is the app's own page,
 * rewritten: a page the test runner made up (`page.route`) would come from no address
 * at all, and Chromium would refuse its requests to the loopback store as coming from
 * the public internet (Local Network Access). The demo's own script is left out, and
 * the page must be opened with `bypassCSP` (the demo's policy allows no inline script).
 */
export async function openComponentPage(
  page: Page,
  appUrl: string,
  html: string,
  js: string,
): Promise<void> {
  await page.route(`${appUrl}/app.js`, (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: "" }),
  );
  await page.goto(appUrl);
  await page.unroute(`${appUrl}/app.js`);
  await page.setContent(html);
  // Added as a node, not parsed as HTML: a bundle may hold "<!--" and "<script>" in strings.
  await page.addScriptTag({ content: js, type: "module" });
}

/** axe-core's own script, to inject into a page. */
export const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

export interface AxeViolation {
  readonly id: string;
  readonly help: string;
  readonly nodes: readonly { readonly target: unknown; readonly failureSummary?: string }[];
}

/** Runs axe-core on the whole page (it looks into open shadow roots); its violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const present = await page.evaluate("typeof window.axe === 'object'");
  if (!present) await page.addScriptTag({ content: AXE_SOURCE });
  return (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  })()`)) as AxeViolation[];
}

/** A JPEG drawn by the page's own canvas encoder: a real one, that previews. */
export async function canvasJpeg(page: Page, width = 320, height = 240): Promise<Buffer> {
  const base64 = (await page.evaluate(`(async () => {
    const canvas = document.createElement("canvas");
    canvas.width = ${width};
    canvas.height = ${height};
    const context = canvas.getContext("2d");
    const gradient = context.createLinearGradient(0, 0, ${width}, ${height});
    gradient.addColorStop(0, "#1f6feb");
    gradient.addColorStop(1, "#ffb86c");
    context.fillStyle = gradient;
    context.fillRect(0, 0, ${width}, ${height});
    context.fillStyle = "rgba(255,255,255,0.85)";
    context.beginPath();
    context.arc(${width * 0.7}, ${height * 0.35}, ${Math.min(width, height) * 0.18}, 0, Math.PI * 2);
    context.fill();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
  })()`)) as string;
  return Buffer.from(base64, "base64");
}

/** Playwright's locator of the dropzone (its locators pierce open shadow roots). */
export const ZONE = "sluice-dropzone";

/** The row of the file named `name` in the first dropzone (or the one `within` names). */
export function fileRow(page: Page, name: string, within = ZONE) {
  return page
    .locator(`${within} li.file`)
    .filter({ has: page.locator(".name", { hasText: name }) });
}
