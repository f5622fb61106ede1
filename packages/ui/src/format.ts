/**
 * Words and numbers as a person reads them: sizes (the API's own format), speed, time
 * left, and a route's types as the file extensions people know.
 */
import { formatBytes, type Progress } from "@sluice/client";

export { formatBytes };

/** A file's size on its row: `1 byte`, `4.64 KiB`. */
export function formatSize(bytes: number): string {
  return bytes === 1 ? "1 byte" : formatBytes(bytes);
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** `12 s left`, `3 min 5 s left`, `1 h 4 min left`. */
export function formatTimeLeft(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return `${whole} s left`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${whole % 60} s left`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** `45% · 3.2 MiB/s · 12 s left`: what a progress line says, with what is known. */
export function describeProgress(progress: Progress): string {
  const parts = [`${progress.percent}%`];
  if (progress.bytesPerSecond > 0) parts.push(formatSpeed(progress.bytesPerSecond));
  if (progress.etaSeconds !== undefined && progress.fraction < 1) {
    parts.push(formatTimeLeft(progress.etaSeconds));
  }
  return parts.join(" · ");
}

/** Names people know for the types routes usually take; others show their subtype. */
const LABELS: Readonly<Record<string, string>> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/webp": "WebP",
  "image/gif": "GIF",
  "image/avif": "AVIF",
  "image/svg+xml": "SVG",
  "image/heic": "HEIC",
  "application/pdf": "PDF",
  "text/plain": "TXT",
  "text/csv": "CSV",
  "text/markdown": "Markdown",
  "application/json": "JSON",
  "application/epub+zip": "EPUB",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
  "application/vnd.oasis.opendocument.text": "ODT",
  "application/zip": "ZIP",
  "application/gzip": "GZIP",
  "audio/mpeg": "MP3",
  "audio/mp4": "M4A",
  "audio/ogg": "OGG",
  "audio/wav": "WAV",
  "audio/webm": "WebM audio",
  "audio/flac": "FLAC",
  "audio/aac": "AAC",
  "video/mp4": "MP4",
  "video/webm": "WebM",
  "video/quicktime": "MOV",
  "video/x-matroska": "MKV",
  "video/ogg": "OGV",
};

export function typeLabel(type: string): string {
  const known = LABELS[type];
  if (known) return known;
  const subtype = type.split("/")[1] ?? type;
  return subtype.replace(/^(x-|vnd\.)/, "").toUpperCase();
}

/** `JPEG, PNG or GIF`. */
export function describeTypes(types: readonly string[]): string {
  const labels = [...new Set(types.map(typeLabel))];
  if (labels.length <= 1) return labels.join("");
  return `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}`;
}

/**
 * The API's and the client's messages start in lower case, to be embedded; shown alone,
 * they are sentences: "the file has…" becomes "The file has….", "image/gif files…" stays.
 */
export function sentence(text: string): string {
  const capitalised = /^[a-z]+[\s,;:]/.test(text)
    ? text.charAt(0).toUpperCase() + text.slice(1)
    : text;
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
