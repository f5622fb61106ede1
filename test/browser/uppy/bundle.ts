/**
 * The Uppy scenarios' page, bundled with esbuild for one major version of Uppy: the
 * page's `@uppy/*` imports (and `@sluice/uppy`'s `@uppy/core`) resolve in that version's
 * folder, `v4/`, `v5/` or `v6/`, each a workspace that installs that major from npm.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

export type UppyMajor = 4 | 5 | 6;

/** Every `@uppy/*` import resolved as if from `folder`, wherever the importer is. */
function uppyFrom(folder: string): Plugin {
  return {
    name: "uppy-major",
    setup(build) {
      build.onResolve({ filter: /^@uppy\// }, async (args) => {
        if (args.pluginData === "uppy-major") return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.importer.includes("/node_modules/@uppy/") ? args.resolveDir : folder,
          pluginData: "uppy-major",
        });
        return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path };
      });
    },
  };
}

/** The page's script for Uppy `major`: `page.js`, or another page in this folder. */
export async function bundleUppyPage(major: UppyMajor, page = "page.js"): Promise<string> {
  const folder = join(here, `v${major}`);
  const result = await build({
    entryPoints: [join(here, page)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    write: false,
    outdir: join(here, "out"),
    logLevel: "silent",
    plugins: [uppyFrom(folder)],
  });
  const js = result.outputFiles.find((file) => file.path.endsWith(".js"))?.text;
  if (js === undefined) throw new Error(`esbuild produced no bundle for Uppy ${major}`);
  return js;
}
