/**
 * The 64 KB limit on a CORS configuration, counted in UTF-8 bytes as S3 receives it.
 * [AWS-docs; the error S3 returns for an oversized configuration is not recorded —
 * we use its generic `MaxMessageLengthExceeded`.]
 */
import { CorsConfigError, MAX_MESSAGE_LENGTH_MESSAGE } from "./cors-config-error.js";
import { MAX_CONFIGURATION_BYTES } from "./model.js";

/** UTF-8 length without TextEncoder, so the package needs no runtime globals. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export function assertConfigurationSize(text: string): void {
  // Every UTF-16 unit is at most 3 bytes, so short texts skip the count.
  if (text.length * 3 <= MAX_CONFIGURATION_BYTES) return;
  const bytes = utf8ByteLength(text);
  if (bytes > MAX_CONFIGURATION_BYTES) {
    throw new CorsConfigError(
      "MaxMessageLengthExceeded",
      MAX_MESSAGE_LENGTH_MESSAGE,
      `the configuration is ${bytes} bytes; the limit is ${MAX_CONFIGURATION_BYTES}`,
    );
  }
}
