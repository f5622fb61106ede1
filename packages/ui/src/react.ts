/**
 * React components on the same core as `<sluice-dropzone>`: each renders the element and
 * turns its events into callbacks, so the markup, keyboard handling, announcements and
 * theming are one implementation whatever the framework.
 *
 * ```tsx
 * import { UploadDropzone, UploadButton } from "@sluice/ui/react";
 * <UploadDropzone endpoint="/api/uploads" route="avatar" onComplete={(record) => save(record.key)} />
 * <UploadButton route="attachments" multiple label="Attach files" />
 * ```
 *
 * React 18 and 19 alike (18 passes only strings to custom elements, so callbacks and
 * `headers` go through a ref). Server rendering emits the tag; the element is defined in
 * an effect, in the browser only.
 */
import type { FileRecord, HeadersOption, UploadError, Uploader } from "@sluice/client";
import { createElement, type ReactElement, useEffect, useRef } from "react";
import {
  defineSluiceDropzone,
  type SluiceCompleteDetail,
  type SluiceDropzoneElement,
  type SluiceErrorDetail,
  TAG_NAME,
} from "./dropzone-element.js";

export interface UploadDropzoneProps {
  /** The upload API's base URL; default `/api/uploads`. */
  readonly endpoint?: string;
  /** The route (policy) name; a new one applies to the next file. */
  readonly route: string;
  readonly multiple?: boolean;
  /** The button's words; default "Choose a file" or "Choose files". */
  readonly label?: string;
  /** Force a theme; default follows `prefers-color-scheme`. */
  readonly theme?: "light" | "dark";
  readonly headers?: HeadersOption;
  readonly credentials?: "omit" | "same-origin" | "include";
  readonly uploader?: Uploader;
  /** With the verified file record, once per upload. */
  readonly onComplete?: (record: FileRecord, file: File) => void;
  /** A refused or failed file (a cancelled one is not an error). */
  readonly onError?: (error: UploadError, file: File) => void;
  readonly id?: string;
  readonly className?: string;
  readonly style?: Readonly<Record<string, string | number>>;
}

export function UploadDropzone(props: UploadDropzoneProps): ReactElement {
  return useDropzoneElement(props, undefined);
}

/** A button that opens the picker, with the same per-file list under it; no drop area. */
export function UploadButton(props: UploadDropzoneProps): ReactElement {
  return useDropzoneElement(props, "button");
}

function useDropzoneElement(
  props: UploadDropzoneProps,
  variant: "button" | undefined,
): ReactElement {
  const ref = useRef<SluiceDropzoneElement | null>(null);
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
    const element = ref.current;
    if (element) {
      element.headers = props.headers;
      element.credentials = props.credentials;
      element.uploader = props.uploader;
    }
    return undefined;
  }, [props]);
  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const onComplete = (event: CustomEvent<SluiceCompleteDetail>) =>
      latest.current.onComplete?.(event.detail.record, event.detail.file);
    const onError = (event: CustomEvent<SluiceErrorDetail>) =>
      latest.current.onError?.(event.detail.error, event.detail.file);
    element.addEventListener("sluice-complete", onComplete);
    element.addEventListener("sluice-error", onError);
    defineSluiceDropzone();
    return () => {
      element.removeEventListener("sluice-complete", onComplete);
      element.removeEventListener("sluice-error", onError);
    };
  }, []);
  return createElement(TAG_NAME, {
    ref,
    endpoint: props.endpoint ?? "/api/uploads",
    route: props.route,
    multiple: props.multiple ? "" : undefined,
    label: props.label,
    theme: props.theme,
    variant,
    id: props.id,
    class: props.className,
    style: props.style,
  });
}
