/**
 * @sluice/ui — drop-in upload components on `@sluice/client`:
 *
 * ```html
 * <sluice-dropzone endpoint="/api/uploads" route="avatar"></sluice-dropzone>
 * <script type="module">import "@sluice/ui/define";</script>
 * ```
 *
 * or `defineSluiceDropzone()` from here, where you decide when (importing this module
 * touches no browser global, so server-side rendering can import it); React components
 * in `@sluice/ui/react`. Every component runs on `createDropzoneController`, which any
 * other framework can use as it is.
 */
export {
  createDropzoneController,
  type DropzoneController,
  type DropzoneOptions,
  type DropzoneSnapshot,
  type EntryStatus,
  type FileEntry,
  isActive,
  type RoutePolicy,
} from "./dropzone-controller.js";
export {
  ANNOUNCE_PROGRESS_EVERY_MS,
  defineSluiceDropzone,
  type SluiceCompleteDetail,
  type SluiceDropzoneElement,
  type SluiceErrorDetail,
  TAG_NAME,
} from "./dropzone-element.js";
export {
  describeProgress,
  describeTypes,
  formatBytes,
  formatSize,
  formatSpeed,
  formatTimeLeft,
  typeLabel,
} from "./format.js";
