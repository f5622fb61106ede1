/**
 * Bad input, as a table: each request with the status and S3 error code it must get, and
 * after each, proof that nothing was written — the bucket still lists only the object it
 * started with, that object and the bucket's CORS are unchanged, no blob or temporary file
 * was added. Requests go out as raw bytes on a socket (`node:net`) where `fetch` could
 * not send them: a path with `..`, a Content-Length that lies, two Authorization headers.
 *
 * Then the cases that write something on purpose: a body longer than its Content-Length
 * (the declared bytes are the object), and keys that look like paths out of the data
 * folder (stored as keys, never as paths).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { after, before, describe, it } from "node:test";
import { type HeaderInput, presign, sign } from "@sluice/sigv4";
import {
  CREDENTIALS,
  parseError,
  parseRaw,
  rawExchange,
  signedFetch,
  smallBodyCount,
  startStore,
  type TestStore,
  unescapeXml,
} from "./helpers.js";

const BUCKET = "bad-input";
const KEEP = "keep.txt";
const ORIGINAL = "original content";
const CORS_XML =
  "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>";
const md5B64 = (data: string | Buffer) => createHash("md5").update(data).digest("base64");

let server: TestStore;
let initialCors: string;

/** A request as it goes on the wire. */
interface WireRequest {
  readonly method: string;
  /** Path and query exactly as sent. */
  readonly target: string;
  readonly headers: [string, string][];
  readonly body?: string | Buffer;
}

/** A header-signed request, its parts open to change before it is sent. */
function signed(
  method: string,
  pathAndQuery: string,
  options: { body?: string | Buffer; headers?: HeaderInput; payloadHash?: string } = {},
): WireRequest {
  const request = sign({
    method,
    url: `${server.url}${pathAndQuery}`,
    credentials: CREDENTIALS,
    region: "auto",
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.payloadHash ? { payloadHash: options.payloadHash } : {}),
  });
  return {
    method,
    target: pathAndQuery,
    headers: Object.entries(request.headers),
    ...(options.body !== undefined ? { body: options.body } : {}),
  };
}

/** A presigned request (query auth). */
function presigned(method: string, pathAndQuery: string, body?: string): WireRequest {
  const url = presign({
    method,
    url: `${server.url}${pathAndQuery}`,
    credentials: CREDENTIALS,
    region: "auto",
    expiresIn: 300,
  }).url;
  return {
    method,
    target: url.slice(server.url.length),
    headers: [["host", new URL(server.url).host]],
    ...(body !== undefined ? { body } : {}),
  };
}

function withHeader(request: WireRequest, name: string, value: string | undefined): WireRequest {
  const headers = request.headers.filter(([n]) => n !== name);
  if (value !== undefined) headers.push([name, value]);
  return { ...request, headers };
}

function header(request: WireRequest, name: string): string {
  return request.headers.find(([n]) => n === name)?.[1] ?? "";
}

/** The bytes of a request; Content-Length from the body unless given, and Connection: close. */
function wire(request: WireRequest): Buffer {
  const body = Buffer.from(request.body ?? "");
  const lines = [`${request.method} ${request.target} HTTP/1.1`];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const names = new Set(request.headers.map(([n]) => n.toLowerCase()));
  if (!names.has("content-length") && !names.has("transfer-encoding")) {
    lines.push(`content-length: ${body.length}`);
  }
  if (!names.has("connection")) lines.push("connection: close");
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8"), body]);
}

interface Answer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
}

async function exchange(bytes: Buffer, options: { endAfterWrite?: boolean } = {}): Promise<Answer> {
  const response = parseRaw(await rawExchange(server.port, bytes, options));
  const error = parseError(response.body);
  return {
    status: response.status,
    code: error.code,
    message: error.message,
    fields: error.fields,
  };
}

const send = (request: WireRequest) => exchange(wire(request));

/** Every file under `dir`, as paths relative to it. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

const blobs = () => files(join(server.dataDir, "blobs"));

/** Temporary files are removed as the refused request unwinds, which may take a moment. */
async function noTemporaryFiles(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (readdirSync(join(server.dataDir, "tmp")).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(readdirSync(join(server.dataDir, "tmp")), [], "temporary files left behind");
}

async function listKeys(): Promise<string[]> {
  const response = await signedFetch("GET", `${server.url}/${BUCKET}?list-type=2`);
  assert.equal(response.status, 200);
  return [...(await response.text()).matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
    unescapeXml(m[1] as string),
  );
}

/** The bucket is as `before` left it. */
async function assertNothingWritten(): Promise<void> {
  await noTemporaryFiles();
  assert.deepEqual(await listKeys(), [KEEP], "the bucket lists only the object it started with");
  const keep = await signedFetch("GET", `${server.url}/${BUCKET}/${KEEP}`);
  assert.equal(await keep.text(), ORIGINAL, "the existing object is unchanged");
  const cors = await signedFetch("GET", `${server.url}/${BUCKET}?cors`);
  assert.equal(await cors.text(), initialCors, "the bucket's CORS is unchanged");
  assert.equal(blobs().length + smallBodyCount(server.dataDir), 1, "no object bytes were added");
}

before(async () => {
  server = await startStore();
  assert.equal((await signedFetch("PUT", `${server.url}/${BUCKET}`)).status, 200);
  const keep = await signedFetch("PUT", `${server.url}/${BUCKET}/${KEEP}`, { body: ORIGINAL });
  assert.equal(keep.status, 200);
  const cors = await signedFetch("PUT", `${server.url}/${BUCKET}?cors`, {
    body: CORS_XML,
    headers: { "content-md5": md5B64(CORS_XML) },
  });
  assert.equal(cors.status, 200);
  initialCors = await (await signedFetch("GET", `${server.url}/${BUCKET}?cors`)).text();
});

after(async () => {
  await server?.close();
});

interface BadCase {
  /** What is wrong with the request. */
  readonly name: string;
  readonly send: () => Promise<Answer>;
  readonly status: number;
  readonly code: string;
  readonly message?: string | RegExp;
  readonly fields?: Readonly<Record<string, string>>;
}

const object = (key: string) => `/${BUCKET}/${key}`;
const xmlBody = (xml: string, query: string, method = "PUT") =>
  signed(method, `/${BUCKET}?${query}`, { body: xml, headers: { "content-md5": md5B64(xml) } });
const MALFORMED_XML =
  "The XML you provided was not well-formed or did not validate against our published schema";
const deleteXml = (objects: string) =>
  `<Delete><Object><Key>${KEEP}</Key></Object>${objects}</Delete>`;

const CASES: readonly BadCase[] = [
  // Malformed XML.
  {
    name: "PutBucketCors with XML that is not well-formed",
    send: () => send(xmlBody("<CORSConfiguration><CORSRule><AllowedOrigin>x", "cors")),
    status: 400,
    code: "MalformedXML",
    message: MALFORMED_XML,
  },
  {
    name: "PutBucketCors whose root is not CORSConfiguration",
    send: () => send(xmlBody("<Delete><Object><Key>a</Key></Object></Delete>", "cors")),
    status: 400,
    code: "MalformedXML",
  },
  {
    name: "PutBucketCors with an element S3 does not know",
    send: () =>
      send(
        xmlBody(
          "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedPlanet>Mars</AllowedPlanet></CORSRule></CORSConfiguration>",
          "cors",
        ),
      ),
    status: 400,
    code: "MalformedXML",
  },
  {
    name: "PutBucketCors with an empty body",
    send: () => send(xmlBody("", "cors")),
    status: 400,
    code: "MalformedXML",
  },
  {
    name: "DeleteObjects with XML that is not well-formed",
    send: () => send(xmlBody(`<Delete><Object><Key>${KEEP}</Key></Object>`, "delete", "POST")),
    status: 400,
    code: "MalformedXML",
    message: MALFORMED_XML,
  },
  {
    name: "DeleteObjects whose root is not Delete",
    send: () =>
      send(xmlBody(`<Remove><Object><Key>${KEEP}</Key></Object></Remove>`, "delete", "POST")),
    status: 400,
    code: "MalformedXML",
  },
  {
    name: "DeleteObjects with an Object that has no Key",
    send: () => send(xmlBody(deleteXml("<Object><Name>x</Name></Object>"), "delete", "POST")),
    status: 400,
    code: "MalformedXML",
  },
  {
    name: "DeleteObjects naming 1,001 keys",
    send: () =>
      send(xmlBody(deleteXml("<Object><Key>k</Key></Object>".repeat(1000)), "delete", "POST")),
    status: 400,
    code: "MalformedXML",
  },
  {
    name: "DeleteObjects without Content-MD5 or a checksum",
    send: () => send(signed("POST", `/${BUCKET}?delete`, { body: deleteXml("") })),
    status: 400,
    code: "InvalidRequest",
    message: "Missing required header for this request: Content-MD5",
  },

  // Bad dates.
  {
    name: "a presigned X-Amz-Date that is not ISO 8601 basic",
    send: () => {
      const request = presigned("PUT", object("dates-1"), "x");
      return send({
        ...request,
        target: request.target.replace(
          /X-Amz-Date=\d{8}T\d{6}Z/,
          "X-Amz-Date=2026-11-28T12%3A00%3A00Z",
        ),
      });
    },
    status: 400,
    code: "AuthorizationQueryParametersError",
    message: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
  },
  {
    name: "an x-amz-date header that is not a date",
    send: () =>
      send(withHeader(signed("PUT", object("dates-2"), { body: "x" }), "x-amz-date", "yesterday")),
    status: 403,
    code: "AccessDenied",
    message: "AWS authentication requires a valid Date or x-amz-date header",
  },
  {
    name: "an x-amz-date header in ISO 8601 extended form",
    send: () =>
      send(
        withHeader(
          signed("PUT", object("dates-3"), { body: "x" }),
          "x-amz-date",
          "2026-11-28T12:00:00Z",
        ),
      ),
    status: 403,
    code: "AccessDenied",
    message: "AWS authentication requires a valid Date or x-amz-date header",
  },
  {
    name: "a credential date that differs from x-amz-date",
    send: () => {
      const request = signed("PUT", object("dates-4"), { body: "x" });
      const authorization = header(request, "authorization").replace(
        /\/(\d{8})\/auto\//,
        "/19990101/auto/",
      );
      return send(withHeader(request, "authorization", authorization));
    },
    status: 400,
    code: "AuthorizationHeaderMalformed",
    message: /Invalid credential date "19990101"/,
  },
  {
    name: "an X-Amz-Expires that is not a number",
    send: () => {
      const request = presigned("PUT", object("dates-5"), "x");
      return send({
        ...request,
        target: request.target.replace("X-Amz-Expires=300", "X-Amz-Expires=soon"),
      });
    },
    status: 400,
    code: "AuthorizationQueryParametersError",
    message: "X-Amz-Expires should be a number",
  },
  {
    name: "a negative X-Amz-Expires",
    send: () => {
      const request = presigned("PUT", object("dates-6"), "x");
      return send({
        ...request,
        target: request.target.replace("X-Amz-Expires=300", "X-Amz-Expires=-300"),
      });
    },
    status: 400,
    code: "AuthorizationQueryParametersError",
    message: "X-Amz-Expires must be non-negative",
  },

  // Missing or duplicated parts of the authentication.
  {
    name: "an Authorization header without SignedHeaders",
    send: () => {
      const request = signed("PUT", object("auth-1"), { body: "x" });
      const authorization = header(request, "authorization").replace(/SignedHeaders=[^,]+, /, "");
      return send(withHeader(request, "authorization", authorization));
    },
    status: 400,
    code: "AuthorizationHeaderMalformed",
  },
  {
    name: "an Authorization header whose Credential has no region",
    send: () => {
      const request = signed("PUT", object("auth-2"), { body: "x" });
      const authorization = header(request, "authorization").replace("/auto/", "/");
      return send(withHeader(request, "authorization", authorization));
    },
    status: 400,
    code: "AuthorizationHeaderMalformed",
    message: /the Credential is mal-formed/,
  },
  {
    name: "two Authorization headers",
    send: () => {
      const request = signed("PUT", object("auth-3"), { body: "x" });
      return send({
        ...request,
        headers: [...request.headers, ["authorization", header(request, "authorization")]],
      });
    },
    status: 400,
    code: "AuthorizationHeaderMalformed",
  },
  {
    name: "an Authorization header with Signature Version 2",
    send: () =>
      send(
        withHeader(
          signed("PUT", object("auth-4"), { body: "x" }),
          "authorization",
          `AWS ${CREDENTIALS.accessKeyId}:c2lnbmF0dXJl`,
        ),
      ),
    status: 400,
    code: "InvalidArgument",
    message: /Unsupported Authorization Type/,
  },
  {
    name: "header authentication without x-amz-content-sha256",
    send: () =>
      send(
        withHeader(
          signed("PUT", object("auth-5"), { body: "x" }),
          "x-amz-content-sha256",
          undefined,
        ),
      ),
    status: 400,
    code: "InvalidRequest",
    message: "Missing required header for this request: x-amz-content-sha256",
  },
  {
    name: "a presigned URL without X-Amz-Credential",
    send: () => {
      const request = presigned("PUT", object("auth-6"), "x");
      return send({ ...request, target: request.target.replace(/X-Amz-Credential=[^&]+&/, "") });
    },
    status: 400,
    code: "AuthorizationQueryParametersError",
    message:
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
  },
  {
    name: "a presigned URL with two X-Amz-Signature parameters, the first one valid",
    send: () => {
      const request = presigned("PUT", object("auth-7"), "x");
      return send({ ...request, target: `${request.target}&X-Amz-Signature=${"0".repeat(64)}` });
    },
    status: 400,
    code: "AuthorizationQueryParametersError",
    message: /X-Amz-Signature appears more than once/,
  },
  {
    name: "a presigned URL with two X-Amz-Credential parameters",
    send: () => {
      const request = presigned("PUT", object("auth-8"), "x");
      const credential = /X-Amz-Credential=[^&]+/.exec(request.target)?.[0] as string;
      return send({ ...request, target: `${request.target}&${credential}` });
    },
    status: 400,
    code: "AuthorizationQueryParametersError",
    message: /X-Amz-Credential appears more than once/,
  },
  {
    name: "both an Authorization header and a presigned query",
    send: () => {
      const query = presigned("PUT", object("auth-9"), "x");
      const headers = signed("PUT", object("auth-9"), { body: "x" });
      return send({ ...headers, target: query.target });
    },
    status: 400,
    code: "InvalidArgument",
    message: /^Only one auth mechanism allowed/,
  },
  {
    name: "an x-amz-content-sha256 that is not the body's",
    send: () =>
      send({ ...signed("PUT", object("auth-10"), { body: "signed body" }), body: "other body!" }),
    status: 400,
    code: "XAmzContentSHA256Mismatch",
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  },

  // Lengths, sizes and encodings.
  {
    name: "Transfer-Encoding: chunked without aws-chunked or a Content-Length",
    send: () =>
      send({
        ...signed("PUT", object("len-1"), { payloadHash: "UNSIGNED-PAYLOAD" }),
        headers: [
          ...signed("PUT", object("len-1"), { payloadHash: "UNSIGNED-PAYLOAD" }).headers,
          ["transfer-encoding", "chunked"],
        ],
        body: "5\r\nhello\r\n0\r\n\r\n",
      }),
    status: 411,
    code: "MissingContentLength",
    message: "You must provide the Content-Length HTTP header.",
  },
  {
    name: "a Content-Length that is not a number",
    send: () =>
      send(withHeader(signed("PUT", object("len-2"), { body: "x" }), "content-length", "one")),
    status: 400,
    code: "BadRequest",
  },
  {
    name: "a Content-Length longer than the body, the client then giving up",
    send: () =>
      exchange(
        wire(
          withHeader(
            {
              ...signed("PUT", object("len-3"), { payloadHash: "UNSIGNED-PAYLOAD" }),
              body: "0123456789",
            },
            "content-length",
            "100",
          ),
        ),
        { endAfterWrite: true },
      ),
    status: 400,
    code: "IncompleteBody",
    message: "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  },
  {
    name: "an aws-chunked body without x-amz-decoded-content-length",
    send: () =>
      send(
        signed("PUT", object("len-4"), {
          payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
          headers: { "content-encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32" },
          body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
        }),
      ),
    status: 411,
    code: "MissingContentLength",
  },
  {
    name: "an aws-chunked body shorter than its x-amz-decoded-content-length",
    send: () =>
      send(
        signed("PUT", object("len-5"), {
          payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
          headers: {
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": "100",
            "x-amz-trailer": "x-amz-checksum-crc32",
          },
          body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
        }),
      ),
    status: 400,
    code: "IncompleteBody",
  },
  {
    name: "a header section over 16 KiB",
    send: () =>
      send({
        ...signed("PUT", object("len-6"), { body: "x" }),
        headers: [
          ...signed("PUT", object("len-6"), { body: "x" }).headers,
          ["x-padding", "p".repeat(17 * 1024)],
        ],
      }),
    status: 400,
    code: "RequestHeaderSectionTooLarge",
    message: "Your request header section exceeds the maximum allowed size.",
  },
  {
    name: "user metadata over R2's 8,192 bytes",
    send: () =>
      send(
        signed("PUT", object("len-7"), {
          body: "x",
          headers: { "x-amz-meta-a": "m".repeat(5000), "x-amz-meta-b": "m".repeat(5000) },
        }),
      ),
    status: 400,
    code: "MetadataTooLarge",
  },
  {
    name: "a key of 1,025 bytes",
    send: () => send(signed("PUT", object("k".repeat(1025)), { body: "x" })),
    status: 400,
    code: "InvalidObjectName",
    fields: { MaxSizeAllowed: "1024", Size: "1025" },
  },
  {
    name: "a key of 513 two-byte characters (1,026 bytes)",
    send: () => send(signed("PUT", object(encodeURIComponent("é".repeat(513))), { body: "x" })),
    status: 400,
    code: "InvalidObjectName",
    fields: { MaxSizeAllowed: "1024", Size: "1026" },
  },
  {
    name: "a key that is not UTF-8 (%FF)",
    send: () => send(signed("PUT", object("bad%FFkey"), { body: "x" })),
    status: 400,
    code: "InvalidURI",
    message: "Couldn't parse the specified URI.",
  },
  {
    name: "an x-amz-checksum-sha256 of the wrong length",
    send: () =>
      send(
        signed("PUT", object("sum-1"), { body: "x", headers: { "x-amz-checksum-sha256": "YWJj" } }),
      ),
    status: 400,
    code: "InvalidRequest",
    message: "Value for x-amz-checksum-sha256 header is invalid.",
  },
  {
    // R2's error table: "10014 InvalidDigest 400 Checksum header format is malformed".
    name: "an x-amz-checksum-sha256 that is not base64",
    send: () =>
      send(
        signed("PUT", object("sum-1"), { body: "x", headers: { "x-amz-checksum-sha256": "abc" } }),
      ),
    status: 400,
    code: "InvalidDigest",
  },
  {
    name: "two different x-amz-checksum-* headers",
    send: () =>
      send(
        signed("PUT", object("sum-2"), {
          body: "x",
          headers: { "x-amz-checksum-crc32": "jHNlIQ==", "x-amz-checksum-crc32c": "TlHaYw==" },
        }),
      ),
    status: 400,
    code: "InvalidRequest",
    message: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
  },
  {
    name: "a Content-MD5 that is not 16 bytes of base64",
    send: () =>
      send(
        signed("PUT", object("sum-3"), { body: "x", headers: { "content-md5": "bm90IG1kNQ==" } }),
      ),
    status: 400,
    code: "InvalidDigest",
  },

  // Operations and methods.
  {
    name: "PutObjectTagging, which the store does not implement",
    send: () =>
      send(signed("PUT", `/${BUCKET}/${KEEP}?tagging`, { body: "<Tagging><TagSet/></Tagging>" })),
    status: 501,
    code: "NotImplemented",
    message: "PutObjectTagging is not implemented by this store.",
  },
  {
    name: "GetBucketAcl, which the store does not implement",
    send: () => send(signed("GET", `/${BUCKET}?acl`)),
    status: 501,
    code: "NotImplemented",
    message: "GetBucketAcl is not implemented by this store.",
  },
  {
    name: "PutBucketVersioning, which the store does not implement",
    send: () =>
      send(
        signed("PUT", `/${BUCKET}?versioning`, {
          body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
        }),
      ),
    status: 501,
    code: "NotImplemented",
    message: "PutBucketVersioning is not implemented by this store.",
  },
  {
    name: "a POST form upload to an object (PostObject)",
    send: () => send(signed("POST", object("form-upload"), { body: "file=x" })),
    status: 501,
    code: "NotImplemented",
    message: "PostObject is not implemented by this store.",
  },
  {
    name: "PATCH on an object",
    send: () => send(signed("PATCH", `/${BUCKET}/${KEEP}`, { body: "patched" })),
    status: 405,
    code: "MethodNotAllowed",
    message: "The specified method is not allowed against this resource.",
    fields: { Method: "PATCH", ResourceType: "OBJECT" },
  },
  {
    name: "garbage instead of a request line",
    send: () => exchange(Buffer.from("PUT\x01 nonsense\r\n\r\n")),
    status: 400,
    code: "BadRequest",
  },
];

describe("bad input: each refused with S3's error, and nothing written", () => {
  for (const c of CASES) {
    it(`refuses ${c.name} with ${c.status} ${c.code}`, async () => {
      const answer = await c.send();
      assert.equal(answer.status, c.status, `${answer.code}: ${answer.message}`);
      assert.equal(answer.code, c.code, answer.message);
      if (typeof c.message === "string") assert.equal(answer.message, c.message);
      else if (c.message) assert.match(answer.message, c.message);
      for (const [name, value] of Object.entries(c.fields ?? {})) {
        assert.equal(answer.fields[name], value, name);
      }
      await assertNothingWritten();
    });
  }

  it("answers a GET for a key of 1,025 bytes with 400 InvalidObjectName (R2's code), not 404", async () => {
    const answer = await send(signed("GET", object("k".repeat(1025))));
    assert.equal(answer.status, 400);
    assert.equal(answer.code, "InvalidObjectName");
  });
});

describe("a body longer than its Content-Length", () => {
  it("stores the declared bytes and ignores what follows a Connection: close request", async () => {
    const request = withHeader(
      { ...signed("PUT", object("longer.txt"), { body: "hello" }), body: "helloEXTRA BYTES" },
      "content-length",
      "5",
    );
    const raw = await rawExchange(server.port, wire(request));
    assert.equal(raw.match(/HTTP\/1\.1 /g)?.length, 1, raw);
    assert.equal(parseRaw(raw).status, 200, raw);
    const back = await signedFetch("GET", `${server.url}${object("longer.txt")}`);
    assert.equal(await back.text(), "hello");
    await signedFetch("DELETE", `${server.url}${object("longer.txt")}`);
  });

  it("on a kept-alive connection answers the request first, then 400 BadRequest for the extra bytes", async () => {
    const request = withHeader(
      withHeader(
        {
          ...signed("PUT", object("longer-2.txt"), { body: "hello" }),
          body: "helloEXTRA BYTES\r\n\r\n",
        },
        "content-length",
        "5",
      ),
      "connection",
      "keep-alive",
    );
    const raw = await rawExchange(server.port, wire(request));
    const first = parseRaw(raw);
    assert.equal(first.status, 200, raw);
    const rest = raw.slice(raw.indexOf("HTTP/1.1 ", 1));
    const second = parseRaw(rest);
    assert.equal(second.status, 400, raw);
    assert.equal(parseError(second.body).code, "BadRequest");
    const back = await signedFetch("GET", `${server.url}${object("longer-2.txt")}`);
    assert.equal(await back.text(), "hello");
    await signedFetch("DELETE", `${server.url}${object("longer-2.txt")}`);
  });
});

describe("keys that look like paths out of the data folder", () => {
  // The data folder sits five levels down, so `..` keys resolved as paths would land
  // inside `base`, where the test can see them.
  const base = mkdtempSync(join(tmpdir(), "sluice-traversal-"));
  const dataDir = join(base, "1", "2", "3", "4", "data");
  let nested: TestStore;

  before(async () => {
    mkdirSync(dataDir, { recursive: true });
    nested = await startStore({ dataDir });
    assert.equal((await signedFetch("PUT", `${nested.url}/${BUCKET}`)).status, 200);
  });

  after(async () => {
    await nested?.close();
  });

  /** Raw path (as sent) → the key S3 reads from it. */
  const KEYS: readonly [string, string][] = [
    ["../../etc/passwd", "../../etc/passwd"],
    ["../../../../../../escape-1", "../../../../../../escape-1"],
    ["..%2F..%2F..%2Fescape-2", "../../../escape-2"],
    ["%2e%2e/%2e%2e/%2e%2e/escape-3", "../../../escape-3"],
    ["%2E%2E%2F%2E%2E%2Fescape-4", "../../escape-4"],
    ["./././escape-5", "./././escape-5"],
    ["/etc/escape-6", "/etc/escape-6"],
    ["..\\..\\escape-7", "..\\..\\escape-7"],
    ["blobs/../../../escape-8", "blobs/../../../escape-8"],
    ["..", ".."],
    ["%2E", "."],
    ["tmp/..%2F..%2Fmetadata.sqlite3", "tmp/../../metadata.sqlite3"],
  ];

  it("stores each as a key, serves it back by the same path, lists it, and writes no file outside the data folder", async () => {
    for (const [rawPath, key] of KEYS) {
      const target = `/${BUCKET}/${rawPath}`;
      const request: WireRequest = (() => {
        const signedRequest = sign({
          method: "PUT",
          url: `${nested.url}${target}`,
          credentials: CREDENTIALS,
          region: "auto",
          body: key,
        });
        return { method: "PUT", target, headers: Object.entries(signedRequest.headers), body: key };
      })();
      const put = parseRaw(await rawExchange(nested.port, wire(request)));
      assert.equal(put.status, 200, `${rawPath}: ${put.body}`);
      const getSigned = sign({
        method: "GET",
        url: `${nested.url}${target}`,
        credentials: CREDENTIALS,
        region: "auto",
      });
      const got = parseRaw(
        await rawExchange(
          nested.port,
          wire({ method: "GET", target, headers: Object.entries(getSigned.headers) }),
        ),
      );
      assert.equal(got.status, 200, rawPath);
      assert.equal(got.body, key, rawPath);
    }

    const list = await signedFetch("GET", `${nested.url}/${BUCKET}?list-type=2`);
    const listed = [...(await list.text()).matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
      unescapeXml(m[1] as string),
    );
    assert.deepEqual(listed.sort(), KEYS.map(([, key]) => key).sort());

    const everything = files(base);
    const outside = everything.filter(
      (path) => !path.startsWith(`1${sep}2${sep}3${sep}4${sep}data${sep}`),
    );
    assert.deepEqual(outside, [], "files appeared outside the data folder");
    // Inside it, only the store's own names: the database, and blobs named by random ids.
    const unexpected = files(dataDir).filter(
      (path) =>
        !/^(metadata\.sqlite3(-wal|-shm)?|blobs\/[0-9a-f]{2}\/[0-9a-f]{32})$/.test(
          path.split(sep).join("/"),
        ),
    );
    assert.deepEqual(unexpected, [], "a key became a file name");
    // Each key's bytes once: these bodies are small, so they live in the database.
    assert.equal(files(join(dataDir, "blobs")).length + smallBodyCount(dataDir), KEYS.length);
  });
});
