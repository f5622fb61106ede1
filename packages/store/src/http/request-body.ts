/**
 * The bytes of a request body, as the object will hold them: `aws-chunked` framing
 * decoded (chunk and trailer signatures checked as they arrive), the declared length
 * enforced, the size limit enforced before a byte is read. Nothing is buffered: chunks
 * flow to the caller one at a time.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { AwsChunkedDecoder, AwsChunkedError, type Verified } from "@sluice/sigv4";
import { S3Error } from "./s3-error.js";
import type { S3Request } from "./s3-request.js";

export class RequestBody {
  readonly #request: S3Request;
  readonly #verified: Verified;
  /** Bytes the object will have, as declared by the client. */
  readonly declaredLength: number;
  readonly chunked: boolean;
  #trailers: ReadonlyMap<string, string> = new Map();

  constructor(request: S3Request, verified: Verified, maxBytes: number) {
    this.#request = request;
    this.#verified = verified;
    const headers = request.headers;
    this.chunked =
      verified.payload.kind === "streaming" ||
      (headers.get("content-encoding") ?? "").split(",").some((e) => e.trim() === "aws-chunked");
    const declared = this.chunked
      ? headers.get("x-amz-decoded-content-length")
      : headers.get("content-length");
    if (declared === null) {
      if (!this.chunked && request.body === null) {
        this.declaredLength = 0;
        return;
      }
      throw new S3Error(
        "MissingContentLength",
        this.chunked
          ? "An aws-chunked body needs the x-amz-decoded-content-length header."
          : "You must provide the Content-Length HTTP header.",
      );
    }
    if (!/^\d{1,16}$/.test(declared)) {
      throw new S3Error(
        "InvalidArgument",
        `Invalid ${this.chunked ? "x-amz-decoded-content-length" : "Content-Length"}: ${declared}`,
      );
    }
    this.declaredLength = Number(declared);
    if (this.declaredLength > maxBytes) {
      throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", {
        ProposedSize: this.declaredLength,
        MaxSizeAllowed: maxBytes,
      });
    }
  }

  /** Trailing headers of an aws-chunked body (lower-case names), once it has been read. */
  get trailers(): ReadonlyMap<string, string> {
    return this.#trailers;
  }

  /** The decoded bytes. Throws `S3Error` when the body is malformed or short. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    const body = this.#request.body;
    if (body === null) {
      if (this.declaredLength > 0) throw incomplete();
      return;
    }
    if (!this.chunked) {
      let received = 0;
      for await (const chunk of readAll(body)) {
        received += chunk.length;
        if (received > this.declaredLength) throw incomplete();
        yield chunk;
      }
      if (received !== this.declaredLength) throw incomplete();
      return;
    }
    const pending: Uint8Array[] = [];
    const trailerHeader = this.#request.headers.get("x-amz-trailer");
    const decoder = new AwsChunkedDecoder({
      signing:
        this.#verified.payload.kind === "streaming" ? this.#verified.payload.signing : undefined,
      expectedTrailers: trailerHeader ? trailerHeader.split(",").map((name) => name.trim()) : [],
      decodedLength: this.declaredLength,
      onData: (data) => pending.push(data),
    });
    try {
      for await (const chunk of readAll(body)) {
        decoder.write(chunk);
        while (pending.length > 0) yield pending.shift() as Uint8Array;
      }
      this.#trailers = decoder.end();
    } catch (error) {
      if (error instanceof AwsChunkedError) throw fromChunkedError(error);
      throw error;
    }
  }
}

/** Reads a stream; a client that goes away mid-body is an incomplete body. */
async function* readAll(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch {
        throw incomplete();
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    reader.releaseLock();
  }
}

function incomplete(): S3Error {
  return new S3Error(
    "IncompleteBody",
    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  );
}

function fromChunkedError(error: AwsChunkedError): S3Error {
  switch (error.code) {
    case "SignatureDoesNotMatch":
      return new S3Error("SignatureDoesNotMatch", error.message);
    case "IncompleteBody":
      return new S3Error("IncompleteBody", error.message);
    case "MalformedTrailerError":
      return new S3Error("MalformedTrailerError", error.message);
    case "InvalidChunkEncoding":
      return new S3Error("InvalidRequest", error.message);
  }
}
