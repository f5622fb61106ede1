/**
 * Which package may import which, read from every package's sources (tests aside: a
 * test may start a real store beside the upload API). The rules:
 *
 * - `protocol` imports nothing at all; `sigv4` and `cors` import nothing of the project.
 * - `store` and `server` never import each other: the upload API reaches any store,
 *   ours included, over HTTP.
 * - The browser's code — `@sluice/client` (both entries), `@sluice/protocol`, the wire
 *   entry of `@sluice/s3`, the components of `@sluice/ui` and the demo page — never
 *   reaches a Node built-in or a package from outside the project (React aside, the
 *   hooks' peer), directly or through any file of a workspace package it imports. It never imports `sigv4` either: no secret
 *   and no signing in the browser.
 * - A package imports only the workspace packages its `package.json` depends on, so the
 *   published graph is the one the code uses, and that graph has no cycle.
 *
 * A package added to the workspace is read without a change here.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";
import {
  filesUnder,
  importedSpecifiers,
  packageNameOf,
  ROOT,
  type WorkspacePackage,
  workspacePackages,
} from "./workspace.js";

const PURE = ["@sluice/protocol", "@sluice/sigv4", "@sluice/cors"];
const IMPORTS_NOTHING = ["@sluice/protocol"];
const NEVER_EACH_OTHER = [["@sluice/store", "@sluice/server"]] as const;
/** The browser's entry points: package entries (as `exports` names them) and page files. */
const BROWSER_ENTRIES: Readonly<Record<string, readonly string[]>> = {
  "@sluice/protocol": ["."],
  "@sluice/client": [".", "./react"],
  "@sluice/s3": ["."],
  "@sluice/ui": [".", "./define", "./react"],
};
const BROWSER_PAGES = ["demo/page/main.ts"];
const BROWSER_MAY_IMPORT = new Set(["react"]);
const BROWSER_NEVER = new Set(["@sluice/sigv4"]);
const BUILTINS = new Set(builtinModules);

interface SourceFile {
  /** Relative to the root, with `/`. */
  readonly path: string;
  readonly pkg: WorkspacePackage | undefined;
  readonly specifiers: readonly string[];
}

const packages = workspacePackages();
const byName = new Map(packages.map((p) => [p.manifest.name, p]));

function isTest(path: string): boolean {
  return /\.test\.ts$/.test(path);
}

function readSource(path: string, pkg: WorkspacePackage | undefined): SourceFile {
  return { path, pkg, specifiers: importedSpecifiers(readFileSync(join(ROOT, path), "utf8")) };
}

const sources: SourceFile[] = packages.flatMap((pkg) =>
  existsSync(join(ROOT, pkg.dir, "src"))
    ? filesUnder(join(ROOT, pkg.dir, "src"))
        .filter((f) => /\.ts$/.test(f) && !isTest(f))
        .map((f) => readSource(`${pkg.dir}/src/${f}`, pkg))
    : [],
);
const byPath = new Map(sources.map((s) => [s.path, s]));

function isNode(specifier: string): boolean {
  return specifier.startsWith("node:") || BUILTINS.has(specifier.split("/")[0] ?? "");
}

/** The source file a relative specifier names (`./x.js` is `./x.ts` in the sources). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = normalize(join(dirname(from), specifier))
    .split("\\")
    .join("/");
  const stem = base.replace(/\.(js|mjs|ts)$/, "");
  for (const candidate of [`${stem}.ts`, `${stem}.d.ts`, `${stem}/index.ts`, base]) {
    if (existsSync(join(ROOT, candidate))) return candidate;
  }
  return undefined;
}

/** The source file a workspace package's entry resolves to, through its `source` condition. */
function resolveEntry(name: string, subpath: string): string | undefined {
  const pkg = byName.get(name);
  if (!pkg) return undefined;
  const exports = pkg.manifest.exports as Record<string, unknown> | undefined;
  const entry = exports?.[subpath] as { source?: string } | string | undefined;
  const target = typeof entry === "string" ? entry : entry?.source;
  if (target === undefined) return undefined;
  return normalize(join(pkg.dir, target)).split("\\").join("/");
}

function resolveWorkspace(specifier: string): string | undefined {
  const name = packageNameOf(specifier);
  if (name === undefined || !byName.has(name)) return undefined;
  const rest = specifier.slice(name.length);
  return resolveEntry(name, rest === "" ? "." : `.${rest}`);
}

function sourceOf(path: string): SourceFile {
  const known = byPath.get(path);
  if (known) return known;
  const pkg = packages.find((p) => path.startsWith(`${p.dir}/`));
  const read = readSource(path, pkg);
  byPath.set(path, read);
  return read;
}

/**
 * Walks everything `entry` reaches, file by file (relative imports and workspace
 * packages' entries), and reports each import the browser must not make, with the
 * chain of files that led to it.
 */
function browserViolations(entry: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const walk = (path: string, chain: readonly string[]) => {
    if (seen.has(path)) return;
    seen.add(path);
    const here = [...chain, path];
    for (const specifier of sourceOf(path).specifiers) {
      const via = here.join(" → ");
      if (specifier.startsWith(".")) {
        const next = resolveRelative(path, specifier);
        if (next === undefined) problems.push(`${via}: ${specifier} not found`);
        else walk(next, here);
        continue;
      }
      const name = packageNameOf(specifier) ?? specifier;
      if (isNode(specifier)) {
        problems.push(`${via} imports ${specifier}, a Node built-in`);
      } else if (BROWSER_NEVER.has(name)) {
        problems.push(`${via} imports ${specifier}, which signs: no secrets in the browser`);
      } else if (byName.has(name)) {
        const next = resolveWorkspace(specifier);
        if (next === undefined) problems.push(`${via}: ${specifier} names no source entry`);
        else walk(next, here);
      } else if (!BROWSER_MAY_IMPORT.has(name)) {
        problems.push(`${via} imports ${specifier}, a package from outside the project`);
      }
    }
  };
  walk(entry, []);
  return problems;
}

/** The workspace packages each package's sources import. */
function workspaceImports(pkg: WorkspacePackage): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const source of sources.filter((s) => s.pkg === pkg)) {
    for (const specifier of source.specifiers) {
      const name = packageNameOf(specifier);
      if (name === undefined || name === pkg.manifest.name || !byName.has(name)) continue;
      found.set(name, [...(found.get(name) ?? []), source.path]);
    }
  }
  return found;
}

describe("import direction", () => {
  it("reads the sources of every workspace package", () => {
    for (const name of ["@sluice/protocol", "@sluice/client", "@sluice/server", "@sluice/store"]) {
      assert.ok(
        sources.some((s) => s.pkg?.manifest.name === name),
        `no sources read for ${name}`,
      );
    }
  });

  it("protocol imports nothing; sigv4 and cors import nothing of the project", () => {
    const problems: string[] = [];
    for (const source of sources) {
      const name = source.pkg?.manifest.name ?? "";
      for (const specifier of source.specifiers) {
        const external = !specifier.startsWith(".");
        if (IMPORTS_NOTHING.includes(name) && external) {
          problems.push(`${source.path} imports ${specifier}`);
        } else if (PURE.includes(name) && byName.has(packageNameOf(specifier) ?? "")) {
          problems.push(`${source.path} imports ${specifier}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("store and server never import each other", () => {
    const problems: string[] = [];
    for (const pair of NEVER_EACH_OTHER) {
      for (const [from, to] of [pair, [pair[1], pair[0]]] as const) {
        const pkg = byName.get(from);
        if (!pkg) continue;
        for (const path of workspaceImports(pkg).get(to) ?? []) {
          problems.push(`${path} imports ${to}`);
        }
        if (pkg.manifest.dependencies?.[to]) problems.push(`${from} depends on ${to}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("the browser's code reaches no Node built-in, no outside package and no signing", () => {
    const entries = [
      ...Object.entries(BROWSER_ENTRIES)
        .filter(([name]) => byName.has(name))
        .flatMap(([name, subpaths]) =>
          subpaths.map((subpath) => {
            const entry = resolveEntry(name, subpath);
            assert.ok(entry, `${name} has no source entry for ${subpath}`);
            return entry;
          }),
        ),
      ...BROWSER_PAGES.filter((page) => existsSync(join(ROOT, page))),
    ];
    assert.ok(entries.length >= 4, `only ${entries.length} browser entries found`);
    assert.deepEqual(entries.flatMap(browserViolations), []);
  });

  it("each package imports only the workspace packages it depends on, and none depends back", () => {
    const problems: string[] = [];
    const graph = new Map<string, string[]>();
    for (const pkg of packages) {
      const declared = {
        ...pkg.manifest.dependencies,
        ...pkg.manifest.peerDependencies,
        ...pkg.manifest.optionalDependencies,
      };
      for (const [name, paths] of workspaceImports(pkg)) {
        if (!(name in declared)) {
          problems.push(
            `${relative(ROOT, join(ROOT, paths[0] ?? ""))} imports ${name}, not a dependency of ${pkg.manifest.name}`,
          );
        }
      }
      graph.set(
        pkg.manifest.name,
        Object.keys(declared).filter((name) => byName.has(name)),
      );
    }
    const cycle = findCycle(graph);
    if (cycle) problems.push(`dependency cycle: ${cycle.join(" → ")}`);
    assert.deepEqual(problems, []);
  });
});

function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, path: readonly string[]): string[] | undefined => {
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const next of graph.get(name) ?? []) {
      const cycle = visit(next, [...path, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}
