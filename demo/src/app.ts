/**
 * The demo app: the upload API (`createUploadHandler` with the two demo routes) and the
 * page, on one origin. The store is another origin, so every upload crosses the
 * bucket's CORS rules, as it would in production.
 *
 * | request                   | answer                                               |
 * | ------------------------- | ---------------------------------------------------- |
 * | `GET /`, `/app.js`, `/styles.css` | the page                                     |
 * | `POST /api/session`       | `{ "name" }` → sets the session cookie               |
 * | `GET /api/session`        | `{ "name" }`, or 401                                 |
 * | `DELETE /api/session`     | signs out                                            |
 * | `GET /api/config`         | the routes (name, label, types, limits)              |
 * | `GET /api/files`          | the user's uploaded files, with presigned GET URLs   |
 * | `/api/uploads…`           | the upload API (`@sluice/server`)                    |
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createUploadHandler,
  type FileRecord,
  type StorageConfig,
  toNodeListener,
  type UploadHandler,
} from "@sluice/server";
import { objectUrl, presign } from "@sluice/sigv4";
import { FileList } from "./files.js";
import type { PageAssets } from "./page-assets.js";
import { demoRoutes, routeInfo } from "./routes.js";
import { isUserName, Sessions } from "./session.js";

export interface DemoAppOptions {
  readonly storage: StorageConfig;
  /** Where the file list, the session key and (without `databaseUrl`) the ledger live. */
  readonly dataDir: string;
  /**
   * A PostgreSQL URL for the upload ledger, or `""` for SQLite in `dataDir`; default
   * `process.env.DATABASE_URL`, as `createUploadHandler` reads it.
   */
  readonly databaseUrl?: string;
  readonly assets: PageAssets;
  /** One line per request, `GET /api/files 200 1.2ms`. */
  readonly log?: (line: string) => void;
  /** Errors that are not the client's (passed to the upload API too). */
  readonly onError?: (error: unknown) => void;
}

export interface DemoApp {
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly uploads: UploadHandler;
  close(): Promise<void>;
}

/** How long the file list's presigned GET URLs (thumbnails, downloads) work. */
const VIEW_SECONDS = 600;
const MAX_SESSION_BODY = 1024;

export function createDemoApp(options: DemoAppOptions): DemoApp {
  const sessions = new Sessions(options.dataDir);
  const files = new FileList(options.dataDir);
  const authorize = (request: Request) => sessions.userOf(request.headers.get("cookie"));
  const routes = demoRoutes({
    authorize,
    onComplete: ({ upload, user }) => files.add(user.id, upload),
  });
  const uploads = createUploadHandler({
    routes,
    storage: options.storage,
    dataDir: options.dataDir,
    ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const api = toNodeListener(uploads);
  const config = JSON.stringify({ routes: routeInfo(routes) });
  const storeOrigin = new URL(options.storage.endpoint).origin;
  const pageHeaders = {
    "content-security-policy": [
      "default-src 'self'",
      `connect-src 'self' ${storeOrigin}`,
      `img-src 'self' ${storeOrigin} blob: data:`,
      "style-src 'self'",
      "script-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    // Presigned URLs in the page must not leak to other sites through Referer.
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  };

  const viewUrl = (record: FileRecord) =>
    presign({
      method: "GET",
      url: objectUrl(options.storage.endpoint, options.storage.bucket, record.key),
      credentials: options.storage.credentials,
      region: options.storage.region ?? "auto",
      expiresIn: VIEW_SECONDS,
    }).url;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const method = req.method ?? "GET";
    if (path === uploads.basePath || path.startsWith(`${uploads.basePath}/`)) {
      api(req, res);
      return;
    }
    const user = sessions.userOf(req.headers.cookie);
    switch (`${method} ${path}`) {
      case "GET /":
      case "GET /index.html":
        return send(res, 200, "text/html; charset=utf-8", options.assets.html, pageHeaders);
      case "GET /app.js":
        return send(res, 200, "text/javascript; charset=utf-8", options.assets.js, pageHeaders);
      case "GET /styles.css":
        return send(res, 200, "text/css; charset=utf-8", options.assets.css, pageHeaders);
      case "GET /favicon.ico":
        return send(res, 204, "text/plain", "", {});
      case "GET /api/config":
        return send(res, 200, JSON_TYPE, config, NO_STORE);
      case "GET /api/session":
        return user ? json(res, 200, { name: user.name }) : unauthenticated(res);
      case "POST /api/session": {
        const body = await readJson(req);
        const name = typeof body?.name === "string" ? body.name.trim().toLowerCase() : undefined;
        if (!isUserName(name)) {
          return json(res, 400, {
            error: {
              code: "bad_request",
              message:
                'send { "name": "alice" } as JSON: a name of 1 to 32 lower-case letters, digits, - or _',
            },
          });
        }
        return json(res, 200, { name }, { "set-cookie": sessions.cookieFor(name) });
      }
      case "DELETE /api/session":
        res.writeHead(204, { "set-cookie": Sessions.signedOut(), ...NO_STORE });
        res.end();
        return;
      case "GET /api/files": {
        if (!user) return unauthenticated(res);
        const list = files.of(user.id).map((record) => ({ ...record, url: viewUrl(record) }));
        return json(res, 200, { files: list });
      }
      default:
        return json(res, 404, { error: { code: "not_found", message: `nothing at ${path}` } });
    }
  }

  return {
    listener(req, res) {
      const started = performance.now();
      res.once("finish", () => {
        options.log?.(
          `${req.method} ${(req.url ?? "/").split("?")[0]} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`,
        );
      });
      serve(req, res).catch((error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent)
          json(res, 500, { error: { code: "internal", message: "internal error" } });
        else res.destroy();
      });
    },
    uploads,
    close: () => uploads.close(),
  };
}

const JSON_TYPE = "application/json; charset=utf-8";
const NO_STORE = { "cache-control": "no-store" };

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Readonly<Record<string, string>>,
): void {
  const bytes = Buffer.from(body);
  res.writeHead(status, { "content-type": type, "content-length": bytes.length, ...headers });
  res.end(bytes);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(res, status, JSON_TYPE, JSON.stringify(body), { ...NO_STORE, ...headers });
}

function unauthenticated(res: ServerResponse): void {
  json(res, 401, { error: { code: "unauthenticated", message: "sign in to upload files" } });
}

/** A small JSON body (POSTs must say application/json: no cross-site form can). */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SESSION_BODY) return undefined;
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
