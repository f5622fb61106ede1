/**
 * Content types a route may allow: the extension each gives an object key, the
 * `image/*`-style families a route may name, and which names mean the same format (what a
 * browser calls a file and what magic-byte detection calls it do not always agree).
 *
 * Families expand, once, when a route is defined, to the explicit list below: a route
 * never allows a type nobody listed. Some types are left out of every family on purpose
 * and must be named exactly (see `NOT_IN_FAMILIES`).
 */

/** Type → the extension its objects' keys end with. */
export const EXTENSIONS: Readonly<Record<string, string>> = {
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "image/avif": ".avif",
  "image/heic": ".heic",
  "image/heif": ".heif",
  "image/bmp": ".bmp",
  "image/tiff": ".tif",
  "image/jxl": ".jxl",
  "image/x-icon": ".ico",
  "image/svg+xml": ".svg",
  "video/mp4": ".mp4",
  "video/webm": ".webm",
  "video/quicktime": ".mov",
  "video/x-matroska": ".mkv",
  "video/ogg": ".ogv",
  "video/mpeg": ".mpeg",
  "audio/mpeg": ".mp3",
  "audio/mp4": ".m4a",
  "audio/ogg": ".ogg",
  "audio/wav": ".wav",
  "audio/webm": ".weba",
  "audio/flac": ".flac",
  "audio/aac": ".aac",
  "text/plain": ".txt",
  "text/csv": ".csv",
  "text/markdown": ".md",
  "text/html": ".html",
  "application/pdf": ".pdf",
  "application/zip": ".zip",
  "application/gzip": ".gz",
  "application/json": ".json",
  "application/epub+zip": ".epub",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
  "application/vnd.oasis.opendocument.text": ".odt",
  "application/octet-stream": ".bin",
};

/**
 * Allowed only when a route names them: SVG and HTML can carry scripts that run on
 * whatever origin serves them, and `application/octet-stream` says nothing about the
 * bytes, so no magic-byte check can hold it to anything.
 */
export const NOT_IN_FAMILIES: ReadonlySet<string> = new Set([
  "image/svg+xml",
  "text/html",
  "application/octet-stream",
]);

/**
 * Names of one format. The first is the one we use; the others are what browsers,
 * operating systems or `file-type` call it.
 */
const SAME_FORMAT: readonly (readonly string[])[] = [
  ["image/jpeg", "image/jpg", "image/pjpeg"],
  // An animated PNG is a PNG: its first chunk is IHDR like any other.
  ["image/png", "image/apng"],
  ["image/x-icon", "image/vnd.microsoft.icon"],
  ["image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"],
  // ISO base media files: the brand decides what detection calls them, and phones and
  // browsers name the same file video/mp4, video/quicktime or audio/x-m4a.
  [
    "video/mp4",
    "audio/mp4",
    "audio/x-m4a",
    "audio/m4a",
    "video/x-m4v",
    "video/quicktime",
    "video/3gpp",
    "video/3gpp2",
  ],
  ["video/x-matroska", "video/matroska"],
  ["audio/ogg", "video/ogg", "application/ogg", "audio/opus"],
  ["audio/mpeg", "audio/mp3"],
  ["audio/wav", "audio/wave", "audio/x-wav", "audio/vnd.wave"],
  ["audio/aac", "audio/x-aac"],
  ["audio/flac", "audio/x-flac"],
  ["application/zip", "application/x-zip-compressed"],
  ["application/gzip", "application/x-gzip"],
  ["application/xml", "text/xml"],
];

const CANONICAL: ReadonlyMap<string, string> = new Map(
  SAME_FORMAT.flatMap((names) => names.map((name) => [name, names[0] as string] as const)),
);

/** Zip files by another name: detection may see only the zip around them. */
const ZIP_CONTAINERS: ReadonlySet<string> = new Set([
  "application/epub+zip",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text",
]);

// RFC 9110 `type "/" subtype`, tokens only: no parameters, no spaces.
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/** A declared or allowed type, normalised: lower case, no surrounding spaces. */
export function normalizeType(type: string): string {
  return type.trim().toLowerCase();
}

export function isMediaType(type: string): boolean {
  return MEDIA_TYPE.test(type);
}

/** The extension for a type's keys, `""` when the table has none. */
export function extensionFor(type: string): string {
  return EXTENSIONS[normalizeType(type)] ?? "";
}

/**
 * Expands `image/*`-style families to the table's members and checks exact types.
 * Throws (at definition time) for a malformed type or a family with no known member.
 */
export function expandTypes(types: readonly string[]): string[] {
  if (types.length === 0) throw new RangeError("a route must allow at least one content type");
  const out: string[] = [];
  for (const raw of types) {
    const type = normalizeType(raw);
    if (type.endsWith("/*")) {
      const prefix = type.slice(0, -1);
      const members = Object.keys(EXTENSIONS).filter(
        (t) => t.startsWith(prefix) && !NOT_IN_FAMILIES.has(t),
      );
      if (members.length === 0 || !isMediaType(`${prefix}x`)) {
        throw new RangeError(
          `content type family ${JSON.stringify(raw)} has no known members; list the types it should allow`,
        );
      }
      out.push(...members);
    } else if (isMediaType(type)) {
      out.push(type);
    } else {
      throw new RangeError(
        `${JSON.stringify(raw)} is not a content type (type/subtype, without parameters)`,
      );
    }
  }
  return [...new Set(out)];
}

/** The name we use for a type's format; the type itself when the table knows no other. */
export function canonicalType(type: string): string {
  const bare = normalizeType(type.split(";")[0] ?? "");
  return CANONICAL.get(bare) ?? bare;
}

/** Every name of the type's format. */
export function namesOf(type: string): string[] {
  const canonical = canonicalType(type);
  return SAME_FORMAT.find((names) => names[0] === canonical)?.slice() ?? [canonical];
}

/**
 * Whether bytes detected as `detected` may be stored as `declared`: the same format, or
 * a format that contains it (a .docx is a zip; plain text may be any text).
 */
export function acceptsDetected(declared: string, detected: string): boolean {
  const want = canonicalType(declared);
  const found = canonicalType(detected);
  if (want === found) return true;
  if (want === "application/octet-stream") return true;
  if (ZIP_CONTAINERS.has(want) && found === "application/zip") return true;
  // A file-type detection of XML is how an SVG that starts with `<?xml` looks.
  if (want === "image/svg+xml" && found === "application/xml") return true;
  if (want === "text/plain" && found.startsWith("text/")) return true;
  return false;
}
