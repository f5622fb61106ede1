/**
 * Which stores the cross-store suites run against. The embedded store always (unless
 * told otherwise); a Ceph RGW when `scripts/ceph-rgw.sh` has put its endpoint and keys in
 * the environment, as `npm run test:rgw` does:
 *
 *   SLUICE_RGW_ENDPOINT, SLUICE_RGW_ACCESS_KEY_ID, SLUICE_RGW_SECRET_ACCESS_KEY,
 *   SLUICE_RGW_REGION (default us-east-1), SLUICE_RGW_LOG (radosgw's log, optional)
 *
 * `SLUICE_TEST_TARGETS=rgw` (what `test:rgw` sets) runs RGW alone; `embedded` the
 * embedded store alone. A target asked for and not configured is an error, never a skip.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Credentials } from "@sluice/sigv4";

export interface RgwConfig {
  readonly endpoint: string;
  readonly credentials: Credentials;
  readonly region: string;
  /** radosgw's log file, where it writes a line per request it served. */
  readonly log: string | undefined;
}

export type TargetKind = "embedded" | "rgw";

/** The RGW's settings from the environment; `undefined` when none are set. */
export function rgwFromEnv(env: NodeJS.ProcessEnv = process.env): RgwConfig | undefined {
  const endpoint = env.SLUICE_RGW_ENDPOINT;
  const accessKeyId = env.SLUICE_RGW_ACCESS_KEY_ID;
  const secretAccessKey = env.SLUICE_RGW_SECRET_ACCESS_KEY;
  if (!endpoint && !accessKeyId && !secretAccessKey) return undefined;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    throw new Error(
      "SLUICE_RGW_ENDPOINT, SLUICE_RGW_ACCESS_KEY_ID and SLUICE_RGW_SECRET_ACCESS_KEY go together: set all three (scripts/ceph-rgw.sh start prints them)",
    );
  }
  return {
    endpoint: endpoint.replace(/\/+$/, ""),
    credentials: { accessKeyId, secretAccessKey },
    region: env.SLUICE_RGW_REGION || "us-east-1",
    log: env.SLUICE_RGW_LOG || undefined,
  };
}

/** The kinds of store to run against, in order. */
export function targetKinds(env: NodeJS.ProcessEnv = process.env): TargetKind[] {
  const rgw = rgwFromEnv(env);
  const asked = env.SLUICE_TEST_TARGETS?.split(",").map((kind) => kind.trim());
  const kinds: TargetKind[] = [];
  for (const kind of asked ?? ["embedded", ...(rgw ? ["rgw"] : [])]) {
    if (kind !== "embedded" && kind !== "rgw") {
      throw new Error(`SLUICE_TEST_TARGETS: unknown target "${kind}" (embedded, rgw)`);
    }
    if (kind === "rgw" && !rgw) {
      throw new Error(
        "SLUICE_TEST_TARGETS asks for rgw but SLUICE_RGW_ENDPOINT is not set: run npm run test:rgw",
      );
    }
    kinds.push(kind);
  }
  return kinds;
}

/** The RGW's settings, for suites that only run against it. */
export function requireRgw(): RgwConfig {
  const rgw = rgwFromEnv();
  if (!rgw) {
    throw new Error("this suite needs a Ceph RGW: run it with npm run test:rgw");
  }
  return rgw;
}

/** A bucket name no other run on the same cluster uses. */
export function uniqueBucket(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/** One request radosgw served, from its log. */
export interface RgwLogEntry {
  readonly method: string;
  /** The path as sent, percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly status: number;
  readonly userAgent: string;
}

// beast: 0x7f..: 127.0.0.1 - sluice [02/Dec/2026:18:31:29.389 +0000] "PUT /b/k?x HTTP/1.1" 200 0 - "node" - latency=0.012s
const ACCESS_LINE =
  /beast: \S+: \S+ - \S+ \[[^\]]*\] "(\S+) ([^"?\s]*)(?:\?([^"\s]*))? HTTP\/[\d.]+" (\d{3}) \S+ \S+ "([^"]*)"/;

/**
 * What radosgw saw: the access lines it logs for every request (at its default debug
 * level), read from an offset, so a test looks at only its own requests.
 */
export class RgwRequestLog {
  constructor(readonly path: string) {}

  /** Where the log ends now. */
  mark(): number {
    return statSync(this.path).size;
  }

  since(mark: number): RgwLogEntry[] {
    const text = readFileSync(this.path).subarray(mark).toString("utf8");
    const entries: RgwLogEntry[] = [];
    for (const line of text.split("\n")) {
      const match = ACCESS_LINE.exec(line);
      if (!match) continue;
      const [, method, path, query, status, userAgent] = match as unknown as string[];
      entries.push({
        method: method as string,
        path: path as string,
        query: new URLSearchParams(query ?? ""),
        status: Number(status),
        userAgent: userAgent as string,
      });
    }
    return entries;
  }
}
