/**
 * The page: `page/index.html`, `page/styles.css`, and `page/main.ts` bundled with
 * esbuild when the app starts, into memory (no build output anywhere). The client is
 * bundled from its TypeScript sources (the `source` export condition), so the page
 * always runs the code in the working tree.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface PageAssets {
  readonly html: string;
  readonly css: string;
  readonly js: string;
}

/** `demo/page/`, from `demo/src/` (tsx) and `demo/dist/` (built) alike. */
export const PAGE_DIR = fileURLToPath(new URL("../page/", import.meta.url));

export async function loadPageAssets(pageDir = PAGE_DIR): Promise<PageAssets> {
  const [html, css, bundle] = await Promise.all([
    readFile(`${pageDir}index.html`, "utf8"),
    readFile(`${pageDir}styles.css`, "utf8"),
    build({
      entryPoints: [`${pageDir}main.ts`],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["source"],
      sourcemap: "inline",
      legalComments: "none",
      logLevel: "silent",
    }),
  ]);
  const js = bundle.outputFiles[0]?.text;
  if (js === undefined) throw new Error("esbuild produced no bundle for the demo page");
  return { html, css, js };
}
