/**
 * The demo's two upload routes, the policies a newcomer reads first: an avatar (a small
 * image, one PUT) and a file (documents, archives, audio and video up to 2 GiB, in
 * parallel parts above 16 MiB).
 */
import { defineRoute, type Route, type Routes } from "@sluice/server";
import type { DemoUser } from "./session.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface RouteInfo {
  readonly name: string;
  readonly label: string;
  readonly hint: string;
  readonly types: readonly string[];
  readonly maxSize: number;
  readonly multipartThreshold: number;
}

export const AVATAR_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];

export const FILE_TYPES = [
  // documents
  "application/pdf",
  "text/plain",
  "text/csv",
  "text/markdown",
  "application/json",
  "application/epub+zip",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text",
  // archives
  "application/zip",
  "application/gzip",
  // audio
  "audio/mpeg",
  "audio/mp4",
  "audio/ogg",
  "audio/wav",
  "audio/webm",
  "audio/flac",
  "audio/aac",
  // video
  "video/mp4",
  "video/webm",
  "video/quicktime",
  "video/x-matroska",
  "video/ogg",
];

export interface DemoRoutesOptions {
  readonly authorize: (request: Request) => DemoUser | undefined;
  readonly onComplete: Route<DemoUser>["onComplete"];
}

export function demoRoutes(options: DemoRoutesOptions): Routes {
  const onComplete = options.onComplete;
  return {
    avatar: defineRoute<DemoUser>({
      types: AVATAR_TYPES,
      maxSize: 5 * MiB,
      authorize: options.authorize,
      ...(onComplete ? { onComplete } : {}),
    }),
    file: defineRoute<DemoUser>({
      types: FILE_TYPES,
      maxSize: 2 * GiB,
      multipartThreshold: 16 * MiB,
      partSize: 8 * MiB,
      authorize: options.authorize,
      ...(onComplete ? { onComplete } : {}),
    }),
  };
}

/** What the page shows about each route. */
export function routeInfo(routes: Routes): RouteInfo[] {
  const labels: Record<string, [string, string]> = {
    avatar: ["Avatar", "JPEG, PNG, WebP or GIF, up to 5 MiB"],
    file: ["File", "documents, archives, audio and video, up to 2 GiB"],
  };
  return Object.entries(routes).map(([name, route]) => ({
    name,
    label: labels[name]?.[0] ?? name,
    hint: labels[name]?.[1] ?? "",
    types: route.types,
    maxSize: route.maxSize,
    multipartThreshold: route.multipartThreshold,
  }));
}
