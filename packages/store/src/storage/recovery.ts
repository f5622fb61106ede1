/**
 * Start-up recovery: removes what a crash can leave behind. Temporary files are writes a
 * crash interrupted. A blob no metadata names was written and renamed but the crash came
 * before its metadata commit, or belonged to an object replaced or deleted whose removal
 * the crash interrupted (or that waited for a reader the crash ended). Since every such
 * blob is one that no row names, one scan finds them all: nothing else needs recording.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BlobFiles } from "./blob-files.js";
import type { Db } from "./database.js";
import { parseSegments } from "./object-rows.js";

export function recover(db: Db, files: BlobFiles): { temporary: number; orphans: number } {
  let temporary = 0;
  for (const name of readdirSync(files.tmpDir)) {
    rmSync(join(files.tmpDir, name), { force: true, recursive: true });
    temporary++;
  }
  const referenced = new Set<string>();
  for (const row of db.prepare<[], { segments: string }>("SELECT segments FROM objects").iterate())
    for (const segment of parseSegments(row.segments)) referenced.add(segment.blob);
  for (const row of db.prepare<[], { blob: string }>("SELECT blob FROM parts").iterate())
    referenced.add(row.blob);
  let orphans = 0;
  for (const dir of readdirSync(files.blobsDir)) {
    for (const name of readdirSync(join(files.blobsDir, dir))) {
      if (BlobFiles.isId(name) && referenced.has(name)) continue;
      rmSync(join(files.blobsDir, dir, name), { force: true });
      orphans++;
    }
  }
  return { temporary, orphans };
}
