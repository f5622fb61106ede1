/**
 * A streaming decoder for `Content-Encoding: aws-chunked` bodies, verifying chunk and
 * trailer signatures as bytes arrive, in O(1) memory whatever the chunk size.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 *
 *   chunk   = hex-size [";chunk-signature=" 64hex] CRLF data CRLF
 *   body    = *chunk final-chunk *(trailer CRLF) CRLF     (final-chunk: size 0, no data)
 *   chunk signature   = HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD" \n date \n scope \n previous \n sha256("") \n sha256(data))
 *   trailer signature = HMAC(key, "AWS4-HMAC-SHA256-TRAILER" \n date \n scope \n previous \n sha256("name:value\n"...))
 *
 * Decoded data is handed on before its chunk's signature has been checked (a chunk may
 * be 5 GiB); a failure at the chunk's end throws, and the reader must then discard
 * everything it wrote, as the store does with its temporary file.
 */
import { createHash, type Hash } from "node:crypto";
import { EMPTY_SHA256, hmacHex, sha256Hex, signaturesEqual } from "./crypto.js";
import type { ChunkSigning } from "./verify.js";

/** Longest chunk header or trailer line we accept: a size, a signature, and slack. */
const MAX_LINE_BYTES = 4096;
/** All trailer lines together. */
const MAX_TRAILER_BYTES = 16 * 1024;
const MAX_SIZE_HEX_DIGITS = 13; // 2^52: beyond any object size, within a safe integer

export type AwsChunkedErrorCode =
  /** The body ended early, or its length differs from x-amz-decoded-content-length. */
  | "IncompleteBody"
  /** A chunk or trailer signature does not verify. */
  | "SignatureDoesNotMatch"
  /** Framing that is not aws-chunked. */
  | "InvalidChunkEncoding"
  /** Trailers missing, undeclared, repeated or malformed. */
  | "MalformedTrailerError";

export class AwsChunkedError extends Error {
  override readonly name = "AwsChunkedError";
  constructor(
    readonly code: AwsChunkedErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface AwsChunkedOptions {
  /** From `verify()`: present for the signed variants, whose every chunk is checked. */
  readonly signing?: ChunkSigning | undefined;
  /** Trailer names from `x-amz-trailer`: each must arrive, and no other. */
  readonly expectedTrailers?: readonly string[];
  /** `x-amz-decoded-content-length`, when the client sent it. */
  readonly decodedLength?: number | undefined;
  /** Receives decoded bytes (views into the input: copy them to keep them). */
  readonly onData: (data: Uint8Array) => void;
}

type State = "size" | "data" | "data-end" | "trailer" | "done";

const CR = 0x0d;
const LF = 0x0a;

export class AwsChunkedDecoder {
  readonly #signing: ChunkSigning | undefined;
  readonly #expectedTrailers: readonly string[];
  readonly #decodedLength: number | undefined;
  readonly #onData: (data: Uint8Array) => void;

  #state: State = "size";
  /** The line being read (chunk header or trailer), across writes. */
  #line = "";
  #remaining = 0;
  #chunkSignature = "";
  #previousSignature: string;
  #chunkHash: Hash | undefined;
  #decoded = 0;
  #trailerBytes = 0;
  #trailerCanonical = "";
  #trailerSignature: string | undefined;
  readonly #trailers = new Map<string, string>();

  constructor(options: AwsChunkedOptions) {
    this.#signing = options.signing;
    this.#expectedTrailers = (options.expectedTrailers ?? []).map((name) => name.toLowerCase());
    this.#decodedLength = options.decodedLength;
    this.#onData = options.onData;
    this.#previousSignature = options.signing?.seedSignature ?? "";
  }

  /** Bytes of decoded data so far. */
  get decodedBytes(): number {
    return this.#decoded;
  }

  /** Feeds the next piece of the encoded body. Throws `AwsChunkedError` on bad input. */
  write(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      switch (this.#state) {
        case "size":
        case "trailer": {
          const lf = bytes.indexOf(LF, i);
          const end = lf < 0 ? bytes.length : lf;
          this.#line += Buffer.from(bytes.buffer, bytes.byteOffset + i, end - i).toString("latin1");
          if (this.#line.length > MAX_LINE_BYTES) {
            throw new AwsChunkedError(
              "InvalidChunkEncoding",
              "An aws-chunked header line is too long.",
            );
          }
          if (lf < 0) return;
          i = lf + 1;
          if (!this.#line.endsWith("\r")) {
            throw new AwsChunkedError(
              "InvalidChunkEncoding",
              "aws-chunked lines must end with CRLF.",
            );
          }
          const line = this.#line.slice(0, -1);
          this.#line = "";
          if (this.#state === "size") this.#chunkHeader(line);
          else this.#trailerLine(line);
          break;
        }
        case "data": {
          const take = Math.min(this.#remaining, bytes.length - i);
          const data = bytes.subarray(i, i + take);
          this.#chunkHash?.update(data);
          this.#remaining -= take;
          this.#decoded += take;
          i += take;
          this.#onData(data);
          if (this.#remaining === 0) this.#state = "data-end";
          break;
        }
        case "data-end": {
          // Expecting CR LF after the data; they may arrive in separate writes.
          const byte = bytes[i++];
          if (this.#line === "" && byte === CR) {
            this.#line = "\r";
          } else if (this.#line === "\r" && byte === LF) {
            this.#line = "";
            this.#checkChunkSignature();
            this.#state = "size";
          } else {
            throw new AwsChunkedError(
              "InvalidChunkEncoding",
              "An aws-chunked chunk is longer than its declared size.",
            );
          }
          break;
        }
        case "done":
          throw new AwsChunkedError(
            "InvalidChunkEncoding",
            "Data follows the end of the aws-chunked body.",
          );
      }
    }
  }

  /** Call when the body has ended. Returns the trailers (lower-case names). */
  end(): ReadonlyMap<string, string> {
    if (this.#state !== "done") {
      throw new AwsChunkedError(
        "IncompleteBody",
        "The aws-chunked body ended before its final chunk.",
      );
    }
    return this.#trailers;
  }

  #chunkHeader(line: string): void {
    const semicolon = line.indexOf(";");
    const sizeHex = semicolon < 0 ? line : line.slice(0, semicolon);
    if (!/^[0-9a-fA-F]+$/.test(sizeHex) || sizeHex.length > MAX_SIZE_HEX_DIGITS) {
      throw new AwsChunkedError(
        "InvalidChunkEncoding",
        `Invalid aws-chunked chunk size "${sizeHex.slice(0, 20)}".`,
      );
    }
    const size = Number.parseInt(sizeHex, 16);
    if (this.#signing) {
      const extension = semicolon < 0 ? "" : line.slice(semicolon + 1);
      if (!extension.startsWith("chunk-signature=")) {
        throw new AwsChunkedError(
          "SignatureDoesNotMatch",
          "A chunk of a signed aws-chunked body has no chunk-signature.",
        );
      }
      this.#chunkSignature = extension.slice("chunk-signature=".length).toLowerCase();
      this.#chunkHash = createHash("sha256");
    } else if (semicolon >= 0) {
      throw new AwsChunkedError(
        "InvalidChunkEncoding",
        "A chunk of an unsigned aws-chunked body carries a chunk extension.",
      );
    }
    if (this.#decodedLength !== undefined && this.#decoded + size > this.#decodedLength) {
      throw new AwsChunkedError(
        "IncompleteBody",
        `The aws-chunked body is longer than x-amz-decoded-content-length (${this.#decodedLength}).`,
      );
    }
    if (size > 0) {
      this.#remaining = size;
      this.#state = "data";
      return;
    }
    // The final chunk: signed, it has empty data and is checked now.
    this.#checkChunkSignature();
    if (this.#decodedLength !== undefined && this.#decoded !== this.#decodedLength) {
      throw new AwsChunkedError(
        "IncompleteBody",
        `The aws-chunked body carried ${this.#decoded} bytes, but x-amz-decoded-content-length says ${this.#decodedLength}.`,
      );
    }
    this.#state = "trailer";
  }

  #checkChunkSignature(): void {
    const signing = this.#signing;
    if (!signing) return;
    const dataHash = this.#chunkHash ? this.#chunkHash.digest("hex") : EMPTY_SHA256;
    this.#chunkHash = undefined;
    const toSign = `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${this.#previousSignature}\n${EMPTY_SHA256}\n${dataHash}`;
    const expected = hmacHex(signing.signingKey, toSign);
    if (!signaturesEqual(expected, this.#chunkSignature)) {
      throw new AwsChunkedError(
        "SignatureDoesNotMatch",
        `The signature of aws-chunked chunk ending at byte ${this.#decoded} does not match.`,
      );
    }
    this.#previousSignature = expected;
  }

  #trailerLine(line: string): void {
    if (line === "") {
      this.#finishTrailers();
      this.#state = "done";
      return;
    }
    this.#trailerBytes += line.length + 2;
    if (this.#trailerBytes > MAX_TRAILER_BYTES) {
      throw new AwsChunkedError("MalformedTrailerError", "The aws-chunked trailers are too large.");
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new AwsChunkedError(
        "MalformedTrailerError",
        "The request contained trailing data that was not well-formed or did not conform to our published schema.",
      );
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature") {
      this.#trailerSignature = value.toLowerCase();
      return;
    }
    if (this.#trailerSignature !== undefined || this.#trailers.has(name)) {
      throw new AwsChunkedError(
        "MalformedTrailerError",
        `The trailer ${name} is repeated or follows the trailer signature.`,
      );
    }
    if (!this.#expectedTrailers.includes(name)) {
      throw new AwsChunkedError(
        "MalformedTrailerError",
        `The trailer ${name} was not declared in x-amz-trailer.`,
      );
    }
    this.#trailers.set(name, value);
    this.#trailerCanonical += `${name}:${value}\n`;
  }

  #finishTrailers(): void {
    for (const name of this.#expectedTrailers) {
      if (!this.#trailers.has(name)) {
        throw new AwsChunkedError(
          "MalformedTrailerError",
          `x-amz-trailer declares ${name}, but the body has no such trailer.`,
        );
      }
    }
    const signing = this.#signing;
    if (!signing || this.#trailers.size === 0) {
      if (this.#trailerSignature !== undefined && !signing) {
        throw new AwsChunkedError(
          "MalformedTrailerError",
          "An unsigned aws-chunked body carries x-amz-trailer-signature.",
        );
      }
      return;
    }
    if (this.#trailerSignature === undefined) {
      throw new AwsChunkedError(
        "SignatureDoesNotMatch",
        "The trailers of a signed aws-chunked body have no x-amz-trailer-signature.",
      );
    }
    const toSign = `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${this.#previousSignature}\n${sha256Hex(this.#trailerCanonical)}`;
    if (!signaturesEqual(hmacHex(signing.signingKey, toSign), this.#trailerSignature)) {
      throw new AwsChunkedError(
        "SignatureDoesNotMatch",
        "The aws-chunked trailer signature does not match.",
      );
    }
  }
}
