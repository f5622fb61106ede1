/**
 * The demo's sign-in: `POST /api/session {"name":"alice"}` sets an HttpOnly cookie
 * holding the name and an HMAC of it, so the API's `authorize` has a real session to
 * check (requests without one get 401). The key lives in the data folder, so sessions
 * survive a restart as the uploads do. A demo, not an identity system: anyone may be
 * anyone, but only through the cookie.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DemoUser {
  readonly id: string;
  readonly name: string;
}

export const SESSION_COOKIE = "sluice_demo_session";
const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function isUserName(name: unknown): name is string {
  return typeof name === "string" && NAME.test(name);
}

export class Sessions {
  readonly #key: Buffer;

  constructor(dataDir: string) {
    const path = join(dataDir, "session-key");
    if (!existsSync(path)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
    }
    this.#key = Buffer.from(readFileSync(path, "utf8").trim(), "hex");
  }

  /** The `Set-Cookie` value that signs `name` in. */
  cookieFor(name: string): string {
    return `${SESSION_COOKIE}=${name}.${this.#mac(name)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800`;
  }

  static signedOut(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
  }

  /** The signed-in user of a request with this `Cookie` header, if any. */
  userOf(cookieHeader: string | null | undefined): DemoUser | undefined {
    const value = cookieValue(cookieHeader ?? "", SESSION_COOKIE);
    if (!value) return undefined;
    const dot = value.lastIndexOf(".");
    const name = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.#mac(name));
    if (dot < 1 || !isUserName(name) || mac.length !== expected.length) return undefined;
    if (!timingSafeEqual(mac, expected)) return undefined;
    return { id: name, name };
  }

  #mac(name: string): string {
    return createHmac("sha256", this.#key).update(name).digest("base64url");
  }
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}
