/**
 * CompleteMultipartUpload: the listed parts are checked (order, presence and ETag,
 * sizes, R2's equal sizes) and become the object in one transaction — no bytes are
 * copied. Completing again with the same list answers as the first time did, as S3 does.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 */
import { unquoteEtag } from "@sluice/s3";
import { CHECKSUM_ALGORITHMS, checksumType } from "../../checksums.js";
import { combineCrc64Nvme } from "../../crc64-nvme.js";
import type { PartRecord } from "../../storage/multipart-uploads.js";
import {
  type WriteConditionFailure,
  writeCondition,
  writeConditionError,
  writeConditionFailure,
} from "../conditions.js";
import { objectChecksumClaim } from "../integrity.js";
import {
  checkCompletion,
  compositeChecksums,
  type ListedPart,
  multipartEtag,
  noSuchUpload,
} from "../multipart-rules.js";
import { type OperationContext, requireBucket, requireKey, xmlResponse } from "../operation.js";
import { malformedXml, noSuchBucket, S3Error } from "../s3-error.js";
import { document, el } from "../xml.js";
import { parseXmlBody, readXmlBody } from "../xml-body.js";

/** A part list of 10,000 entries, each with a checksum, is about 1.7 MB. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Largest object a completed upload may make: R2 says 5 TiB - 5 GiB, S3 5 TiB. */
const MAX_OBJECT_BYTES = { r2: 5 * 1024 ** 4 - 5 * 1024 ** 3, s3: 5 * 1024 ** 4 } as const;

export async function CompleteMultipartUpload(context: OperationContext): Promise<Response> {
  const { request, storage, flavor } = context;
  const bucket = requireBucket(context).name;
  const key = requireKey(context);
  const uploadId = request.query.get("uploadId") ?? "";
  const claim = objectChecksumClaim(request);
  const listed = parseParts(await readXmlBody(context, MAX_BODY_BYTES));
  const listing = listed.map((p) => `${p.partNumber}:${p.etag}`).join(" ");
  const requested = writeCondition(request.headers, flavor.name);
  let conditionFailed = false;

  const result = await storage.uploads.complete<S3Error>(
    uploadId,
    listing,
    context.now().getTime(),
    (upload, parts) => {
      if (upload.bucket !== bucket || upload.key !== key)
        return { ok: false, error: noSuchUpload(uploadId) };
      let chosen: ReturnType<typeof checkCompletion>;
      try {
        chosen = checkCompletion(uploadId, listed, parts, flavor.name);
      } catch (error) {
        if (error instanceof S3Error) return { ok: false, error };
        throw error;
      }
      const size = chosen.reduce((sum, part) => sum + part.size, 0);
      if (size > MAX_OBJECT_BYTES[flavor.name]) {
        return {
          ok: false,
          error: new S3Error(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            {
              ProposedSize: size,
              MaxSizeAllowed: MAX_OBJECT_BYTES[flavor.name],
            },
          ),
        };
      }
      const checksums = objectChecksums(chosen, upload.checksumAlgorithm);
      const refused = checkObjectChecksumClaim(claim, upload.checksumAlgorithm, checksums);
      if (refused) return { ok: false, error: refused };
      return {
        ok: true,
        parts: chosen,
        record: {
          contentType: upload.contentType,
          headers: upload.headers,
          metadata: upload.metadata,
          checksums,
          etag: multipartEtag(chosen),
          lastModifiedMs: context.now().getTime(),
          partsCount: chosen.length,
        },
        // The creation's If-None-Match: * and this request's own condition both hold.
        condition: (current) => {
          const failure: WriteConditionFailure | undefined =
            (upload.condition === "absent"
              ? writeConditionFailure({ kind: "absent" }, current)
              : undefined) ?? writeConditionFailure(requested, current);
          if (failure === undefined) return undefined;
          conditionFailed = true;
          return writeConditionError(failure, key);
        },
      };
    },
  );

  let etag: string;
  let checksums: Readonly<Record<string, string>> = {};
  if (result.ok) {
    etag = result.record.etag;
    checksums = result.record.checksums;
  } else if (result.reason === "no-bucket") {
    throw noSuchBucket(bucket);
  } else if (result.reason === "refused") {
    // R2 ends an upload whose completion condition fails (changelog 2023-08-11: "the
    // upload is no longer available and is treated as aborted"); S3 keeps it open.
    if (conditionFailed && flavor.name === "r2") await storage.uploads.abort(uploadId);
    throw result.error;
  } else {
    const done = storage.uploads.completed(uploadId);
    if (!done || done.bucket !== bucket || done.key !== key || done.parts !== listing)
      throw noSuchUpload(uploadId);
    etag = done.etag;
  }
  const [stored] = Object.values(checksums);
  return xmlResponse(
    document(
      "CompleteMultipartUploadResult",
      el("Location", `/${bucket}/${key}`),
      el("Bucket", bucket),
      el("Key", key),
      el("ETag", `"${etag}"`),
      ...Object.entries(checksums).map(([algorithm, value]) =>
        el(`Checksum${algorithm.toUpperCase()}`, value),
      ),
      ...(stored === undefined ? [] : [el("ChecksumType", checksumType(stored))]),
    ),
  );
}

/**
 * The object's checksum from its parts': CRC64NVME is a full-object checksum only, the CRC
 * of all the bytes, combined from the parts' CRCs; the other algorithms are COMPOSITE, a
 * checksum of the parts' checksums with `-N`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
function objectChecksums(
  parts: readonly PartRecord[],
  algorithm: string | undefined,
): Record<string, string> {
  if (algorithm !== "crc64nvme") return compositeChecksums(parts, algorithm);
  if (parts.some((part) => part.checksums.crc64nvme === undefined)) return {};
  const pieces = parts.map((part) => ({
    crc: Buffer.from(part.checksums.crc64nvme as string, "base64"),
    size: part.size,
  }));
  return { crc64nvme: combineCrc64Nvme(pieces).toString("base64") };
}

/**
 * A checksum the request claims for the whole object must be the one computed, of the
 * algorithm and type the upload was created with: S3 answers a mismatch with BadDigest.
 */
function checkObjectChecksumClaim(
  claim: ReturnType<typeof objectChecksumClaim>,
  algorithm: string | undefined,
  computed: Readonly<Record<string, string>>,
): S3Error | undefined {
  const value = algorithm === undefined ? undefined : computed[algorithm];
  const type = value === undefined ? undefined : checksumType(value);
  if (claim.type !== undefined && claim.type !== type) {
    return new S3Error(
      "BadDigest",
      `The upload was created with checksum type ${type ?? "none"}, not ${claim.type}.`,
    );
  }
  if (claim.checksum === undefined) return undefined;
  if (claim.checksum.algorithm !== algorithm || value === undefined) {
    return new S3Error(
      "InvalidRequest",
      `The upload was created ${algorithm ? `with the ${algorithm.toUpperCase()} checksum algorithm` : "without a checksum algorithm"}; x-amz-checksum-${claim.checksum.algorithm} cannot be checked against its parts.`,
    );
  }
  if (claim.checksum.value !== value) {
    return new S3Error(
      "BadDigest",
      `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
    );
  }
  return undefined;
}

function parseParts(text: string): ListedPart[] {
  const root = parseXmlBody(text, "CompleteMultipartUpload");
  return root.children
    .filter((child) => child.name === "Part")
    .map((part) => {
      const number = part.children.find((c) => c.name === "PartNumber")?.text.trim();
      const etag = part.children.find((c) => c.name === "ETag")?.text.trim();
      if (number === undefined || etag === undefined || !/^\d{1,5}$/.test(number))
        throw malformedXml();
      const checksums: Record<string, string> = {};
      for (const algorithm of CHECKSUM_ALGORITHMS) {
        const value = part.children
          .find((c) => c.name === `Checksum${algorithm.toUpperCase()}`)
          ?.text.trim();
        if (value !== undefined) checksums[algorithm] = value;
      }
      return { partNumber: Number(number), etag: unquoteEtag(etag), checksums };
    });
}
