/**
 * `<sluice-dropzone endpoint="/api/uploads" route="avatar">`: the dropzone as a custom
 * element, for any page (plain HTML, React, Vue, Svelte). It renders the controller's
 * snapshot into its shadow root and turns what a person does into controller calls:
 *
 * - choose (the button, or a click anywhere on the zone), drop, or paste while it has
 *   focus; one file, or many with `multiple`;
 * - per file: Pause, Resume, Cancel, Retry, Remove, each a real button named with the
 *   file; Escape cancels the upload whose row has focus (else the newest running one);
 * - a polite live region says what changed: each new state at once, progress at most
 *   every few seconds.
 *
 * Events (bubbling, composed): `sluice-complete` (`detail: { record, file }`) with the
 * verified file record, `sluice-error` (`detail: { error, file }`) for a refused or
 * failed file. Attributes: `endpoint`, `route` (both may change at any time: the next file
 * goes there), `multiple`, `label`, `theme` (`light` | `dark`), `variant` (`button` for a
 * bare button). Properties: `headers`, `credentials`, `uploader` (set before it connects).
 *
 * The class is made by `defineSluiceDropzone()`, not at import: nothing here touches
 * `window`, `customElements` or `HTMLElement` until then, so importing it during
 * server-side rendering is safe.
 */
import type { FileRecord, HeadersOption, UploadError, Uploader } from "@sluice/client";
import {
  createDropzoneController,
  type DropzoneController,
  type DropzoneSnapshot,
  type FileEntry,
  isActive,
} from "./dropzone-controller.js";
import {
  describeProgress,
  describeTypes,
  formatBytes,
  formatSize,
  sentence,
  typeLabel,
} from "./format.js";
import { STYLES } from "./styles.js";

export const TAG_NAME = "sluice-dropzone";

export interface SluiceCompleteDetail {
  readonly record: FileRecord;
  readonly file: File;
}

export interface SluiceErrorDetail {
  readonly error: UploadError;
  readonly file: File;
}

/** What the element adds to `HTMLElement`. */
export interface SluiceDropzoneElement extends HTMLElement {
  endpoint: string;
  route: string;
  headers: HeadersOption | undefined;
  credentials: "omit" | "same-origin" | "include" | undefined;
  uploader: Uploader | undefined;
  /** The core, once connected. */
  readonly controller: DropzoneController | undefined;
  /** Opens the file picker. */
  choose(): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "sluice-dropzone": SluiceDropzoneElement;
  }
  interface HTMLElementEventMap {
    "sluice-complete": CustomEvent<SluiceCompleteDetail>;
    "sluice-error": CustomEvent<SluiceErrorDetail>;
  }
}

/** Progress is said at most this often; a change of state is said at once. */
export const ANNOUNCE_PROGRESS_EVERY_MS = 5_000;

const STATE_WORDS: Readonly<Record<FileEntry["status"], string>> = {
  checking: "Checking",
  queued: "Waiting",
  uploading: "Uploading",
  paused: "Paused",
  done: "Uploaded",
  failed: "Failed",
  aborted: "Cancelled",
  refused: "Not allowed",
};

type Action = "pause" | "resume" | "cancel" | "retry" | "remove";
const ACTIONS: readonly Action[] = ["pause", "resume", "cancel", "retry", "remove"];
const ACTION_WORDS: Readonly<Record<Action, string>> = {
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
  retry: "Retry",
  remove: "Remove",
};

function actionsFor({ status, error }: FileEntry): ReadonlySet<Action> {
  switch (status) {
    case "checking":
    case "queued":
      return new Set(["cancel"]);
    case "uploading":
      return new Set(["pause", "cancel"]);
    case "paused":
      return new Set(["resume", "cancel"]);
    case "failed":
      // Bytes the API looked at and refused would be refused again.
      return new Set(
        error?.kind === "rejected" || error?.kind === "refused" ? ["remove"] : ["retry", "remove"],
      );
    case "aborted":
      return new Set(["retry", "remove"]);
    case "done":
    case "refused":
      return new Set(["remove"]);
  }
}

/** The DOM nodes of one file's row, made once and updated in place (focus stays put). */
interface Row {
  readonly item: HTMLLIElement;
  readonly state: HTMLElement;
  readonly detail: HTMLElement;
  readonly progress: HTMLProgressElement;
  readonly error: HTMLElement;
  readonly buttons: Readonly<Record<Action, HTMLButtonElement>>;
  entry: FileEntry;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

let defined: CustomElementConstructor | undefined;
let styleSheet: CSSStyleSheet | undefined;

/**
 * One constructed stylesheet for every dropzone: cheaper than a `<style>` each, and not
 * an inline style, so a page whose Content-Security-Policy says `style-src 'self'` (as
 * the demo's does) still styles it.
 */
function sharedStyleSheet(): CSSStyleSheet | undefined {
  if (styleSheet) return styleSheet;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    styleSheet = sheet;
  } catch {
    // No constructable stylesheets: a <style> in each shadow root instead.
  }
  return styleSheet;
}

/**
 * Registers `<sluice-dropzone>` (once; later calls return the same class). Call it in the
 * browser, e.g. in an effect or at the top of a client-only module.
 */
export function defineSluiceDropzone(): CustomElementConstructor {
  if (defined) return defined;
  const existing = customElements.get(TAG_NAME);
  if (existing) {
    defined = existing;
    return existing;
  }
  defined = makeElementClass(HTMLElement);
  customElements.define(TAG_NAME, defined);
  return defined;
}

function makeElementClass(Base: typeof HTMLElement): CustomElementConstructor {
  return class SluiceDropzone extends Base implements SluiceDropzoneElement {
    static observedAttributes = ["endpoint", "route", "multiple", "label"];

    #headers: HeadersOption | undefined;
    #credentials: "omit" | "same-origin" | "include" | undefined;
    #uploader: Uploader | undefined;
    #controller: DropzoneController | undefined;
    #unsubscribe: (() => void) | undefined;
    #rendered: DropzoneSnapshot | undefined;
    readonly #rows = new Map<string, Row>();
    readonly #root: ShadowRoot;
    readonly #zone: HTMLElement;
    readonly #title: HTMLElement;
    readonly #choose: HTMLButtonElement;
    readonly #hint: HTMLElement;
    readonly #input: HTMLInputElement;
    readonly #list: HTMLUListElement;
    readonly #live: HTMLElement;
    #lastProgressSaid = 0;
    #spokenStates = new Map<string, FileEntry["status"]>();

    constructor() {
      super();
      this.#root = this.attachShadow({ mode: "open", delegatesFocus: false });
      const sheet = sharedStyleSheet();
      if (sheet) this.#root.adoptedStyleSheets = [sheet];
      else this.#root.append(el("style", {}, STYLES));
      this.#title = el("p", { class: "title", part: "title" }, "Drop files here or paste them");
      this.#choose = el("button", {
        type: "button",
        class: "choose",
        part: "button choose",
        "aria-describedby": "hint",
      });
      this.#hint = el(
        "p",
        { class: "hint", part: "hint", id: "hint" },
        "Reading what this accepts…",
      );
      this.#input = el("input", { type: "file", hidden: "", tabindex: "-1" });
      this.#zone = el(
        "div",
        { class: "zone", part: "dropzone" },
        this.#title,
        this.#choose,
        this.#hint,
        this.#input,
      );
      this.#list = el("ul", { class: "files", part: "list", "aria-label": "Files" });
      this.#live = el("div", { class: "sr-only", role: "status", "aria-live": "polite" });
      this.#root.append(this.#zone, this.#list, this.#live);

      this.#choose.addEventListener("click", (event) => {
        event.stopPropagation();
        this.choose();
      });
      this.#zone.addEventListener("click", (event) => {
        if (this.getAttribute("variant") === "button") return;
        if (event.target === this.#input) return;
        this.choose();
      });
      this.#input.addEventListener("change", () => {
        const files = this.#input.files;
        if (files) this.#add(files);
        this.#input.value = "";
      });
      this.#list.addEventListener("click", (event) => this.#onAction(event));
      this.addEventListener("dragenter", (event) => this.#onDrag(event));
      this.addEventListener("dragover", (event) => this.#onDrag(event));
      this.addEventListener("dragleave", (event) => {
        if (!this.contains(event.relatedTarget as Node | null)) {
          this.#zone.removeAttribute("data-dragging");
        }
      });
      this.addEventListener("drop", (event) => {
        event.preventDefault();
        this.#zone.removeAttribute("data-dragging");
        const files = event.dataTransfer?.files;
        if (files && files.length > 0) this.#add(files);
      });
      this.addEventListener("paste", (event) => {
        const files = event.clipboardData?.files;
        if (files && files.length > 0) {
          event.preventDefault();
          this.#add(files);
        }
      });
      this.addEventListener("keydown", (event) => this.#onKey(event));
      this.#renderLabel();
    }

    get endpoint(): string {
      return this.getAttribute("endpoint") ?? "/api/uploads";
    }
    set endpoint(value: string) {
      this.setAttribute("endpoint", value);
    }
    get route(): string {
      return this.getAttribute("route") ?? "";
    }
    set route(value: string) {
      this.setAttribute("route", value);
    }
    get headers(): HeadersOption | undefined {
      return this.#headers;
    }
    set headers(value: HeadersOption | undefined) {
      this.#headers = value;
    }
    get credentials(): "omit" | "same-origin" | "include" | undefined {
      return this.#credentials;
    }
    set credentials(value: "omit" | "same-origin" | "include" | undefined) {
      this.#credentials = value;
    }
    get uploader(): Uploader | undefined {
      return this.#uploader;
    }
    set uploader(value: Uploader | undefined) {
      this.#uploader = value;
    }
    get controller(): DropzoneController | undefined {
      return this.#controller;
    }

    connectedCallback(): void {
      // A property set before the element was defined sits on the instance: move it in.
      for (const name of ["headers", "credentials", "uploader", "endpoint", "route"] as const) {
        if (!Object.hasOwn(this, name)) continue;
        const value = this[name];
        delete (this as Partial<Record<typeof name, unknown>>)[name];
        (this as Record<typeof name, unknown>)[name] = value;
      }
      if (this.#controller) return;
      const element = this;
      const controller = createDropzoneController({
        endpoint: this.endpoint,
        route: this.route,
        // Read when used: a framework may set these after the element connects.
        get headers() {
          return element.headers;
        },
        get credentials() {
          return element.credentials;
        },
        get uploader() {
          return element.uploader;
        },
        onComplete: (record, entry) =>
          this.dispatchEvent(
            new CustomEvent<SluiceCompleteDetail>("sluice-complete", {
              detail: { record, file: entry.file },
              bubbles: true,
              composed: true,
            }),
          ),
        onError: (error, entry) =>
          this.dispatchEvent(
            new CustomEvent<SluiceErrorDetail>("sluice-error", {
              detail: { error, file: entry.file },
              bubbles: true,
              composed: true,
            }),
          ),
      });
      this.#controller = controller;
      this.#unsubscribe = controller.subscribe(() => this.#render());
      this.#render();
    }

    disconnectedCallback(): void {
      // Moved, not removed: a move disconnects and reconnects in one task.
      queueMicrotask(() => {
        if (this.isConnected || !this.#controller) return;
        this.#unsubscribe?.();
        this.#controller.dispose();
        this.#controller = undefined;
        this.#rendered = undefined;
        for (const row of this.#rows.values()) row.item.remove();
        this.#rows.clear();
      });
    }

    attributeChangedCallback(name: string): void {
      if (name === "label" || name === "multiple") this.#renderLabel();
      if (name === "endpoint" || name === "route") {
        this.#controller?.configure({ endpoint: this.endpoint, route: this.route });
      }
    }

    choose(): void {
      this.#input.multiple = this.hasAttribute("multiple");
      this.#input.click();
    }

    #add(files: FileList): void {
      const chosen = [...files];
      this.#controller?.add(this.hasAttribute("multiple") ? chosen : chosen.slice(0, 1));
    }

    #renderLabel(): void {
      const many = this.hasAttribute("multiple");
      this.#input.multiple = many;
      this.#choose.textContent =
        this.getAttribute("label") ?? (many ? "Choose files" : "Choose a file");
      this.#title.textContent = many
        ? "Drop files here or paste them"
        : "Drop a file here or paste it";
    }

    #onDrag(event: DragEvent): void {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      this.#zone.setAttribute("data-dragging", "");
    }

    #onAction(event: Event): void {
      const button = (event.target as Element).closest("button[data-action]");
      const item = button?.closest("li");
      if (!button || !item || !this.#controller) return;
      const id = item.getAttribute("data-entry-id") ?? "";
      const action = button.getAttribute("data-action") as Action;
      this.#controller[action](id);
    }

    #onKey(event: KeyboardEvent): void {
      if (event.key !== "Escape" || !this.#controller) return;
      const item = event
        .composedPath()
        .find(
          (node): node is HTMLLIElement =>
            node instanceof HTMLLIElement && this.#list.contains(node),
        );
      const entries = this.#controller.getSnapshot().entries;
      const target = item
        ? entries.find((entry) => entry.id === item.getAttribute("data-entry-id"))
        : entries.findLast((entry) => isActive(entry.status));
      if (target && isActive(target.status)) {
        event.preventDefault();
        this.#controller.cancel(target.id);
      }
    }

    #render(): void {
      const snapshot = this.#controller?.getSnapshot();
      if (!snapshot || snapshot === this.#rendered) return;
      const previous = this.#rendered;
      this.#rendered = snapshot;
      if (snapshot.policy !== previous?.policy) this.#renderPolicy(snapshot);
      if (snapshot.entries !== previous?.entries) this.#renderEntries(snapshot);
    }

    #renderPolicy({ policy }: DropzoneSnapshot): void {
      this.#hint.classList.toggle("error", policy.state === "failed");
      if (policy.state === "loading") {
        this.#hint.textContent = "Reading what this accepts…";
        this.#input.removeAttribute("accept");
      } else if (policy.state === "failed") {
        this.#hint.textContent = `Could not read what this accepts: ${policy.error.message}`;
        this.#input.removeAttribute("accept");
      } else {
        const { types, maxSize } = policy.description;
        this.#hint.textContent = `${describeTypes(types)} · up to ${formatBytes(maxSize)}`;
        this.#input.accept = types.join(",");
      }
    }

    #renderEntries({ entries }: DropzoneSnapshot): void {
      const focused = this.#root.activeElement;
      const seen = new Set<string>();
      for (const entry of entries) {
        seen.add(entry.id);
        let row = this.#rows.get(entry.id);
        if (!row) {
          row = this.#makeRow(entry);
          this.#rows.set(entry.id, row);
          this.#list.append(row.item);
        }
        this.#updateRow(row, entry);
      }
      for (const [id, row] of this.#rows) {
        if (seen.has(id)) continue;
        row.item.remove();
        this.#rows.delete(id);
        this.#spokenStates.delete(id);
      }
      // A button that just went away (Cancel after a cancel) hands focus to its row's next.
      if (focused instanceof HTMLElement && (focused.hidden || !focused.isConnected)) {
        const item = focused.closest("li");
        const next =
          (item?.isConnected
            ? item.querySelector<HTMLButtonElement>("button:not([hidden])")
            : null) ?? this.#choose;
        next.focus();
      }
      this.#announce(entries);
    }

    #makeRow(entry: FileEntry): Row {
      const name = entry.file.name;
      const thumb = el("div", { class: "thumb", part: "thumb", "aria-hidden": "true" });
      const label = typeLabel(entry.file.type || "application/octet-stream").slice(0, 4);
      if (entry.previewUrl) {
        const image = el("img", { src: entry.previewUrl, alt: "", part: "preview" });
        // Not an image after all (the API will say so): its type instead of a broken picture.
        image.addEventListener("error", () => thumb.replaceChildren(label));
        thumb.append(image);
      } else {
        thumb.append(label);
      }
      const state = el("span", { class: "state" });
      const detail = el("span", { class: "detail" });
      const progress = el("progress", {
        max: "100",
        part: "progress",
        "aria-label": `Upload of ${name}`,
      });
      const error = el("p", { class: "error", part: "error" });
      const buttons = Object.fromEntries(
        ACTIONS.map((action) => [
          action,
          el(
            "button",
            {
              type: "button",
              "data-action": action,
              part: `button ${action}`,
              "aria-label": `${ACTION_WORDS[action]} ${name}`,
            },
            ACTION_WORDS[action],
          ),
        ]),
      ) as Record<Action, HTMLButtonElement>;
      const item = el(
        "li",
        { class: "file", part: "file", "data-entry-id": entry.id },
        thumb,
        el(
          "div",
          { class: "body" },
          el(
            "div",
            { class: "line" },
            el("span", { class: "name", part: "name", title: name }, name),
            el("span", { class: "size", part: "size" }, formatSize(entry.file.size)),
          ),
          progress,
          el("div", { class: "status", part: "status" }, state, detail),
          error,
        ),
        el(
          "div",
          { class: "actions", part: "actions" },
          ...ACTIONS.map((action) => buttons[action]),
        ),
      );
      return { item, state, detail, progress, error, buttons, entry };
    }

    #updateRow(row: Row, entry: FileEntry): void {
      row.entry = entry;
      row.item.setAttribute("data-status", entry.status);
      row.state.textContent = STATE_WORDS[entry.status];
      const showProgress = entry.status !== "refused" && entry.status !== "checking";
      row.progress.hidden = !showProgress;
      if (entry.progress) row.progress.value = entry.progress.percent;
      else row.progress.removeAttribute("value");
      let detail = "";
      if (entry.progress && (entry.status === "uploading" || entry.status === "paused")) {
        detail = describeProgress(entry.progress);
      }
      if (entry.resumedParts > 0) {
        const parts = entry.resumedParts === 1 ? "1 part was" : `${entry.resumedParts} parts were`;
        detail = `${detail ? `${detail} · ` : ""}Resumed: ${parts} already uploaded`;
      }
      row.detail.textContent = detail ? ` · ${detail}` : "";
      if (entry.record) row.item.setAttribute("data-key", entry.record.key);
      const error =
        (entry.status === "failed" || entry.status === "refused") && entry.error
          ? sentence(entry.error.message)
          : "";
      row.error.textContent = error;
      row.error.hidden = !error;
      const allowed = actionsFor(entry);
      for (const action of ACTIONS) row.buttons[action].hidden = !allowed.has(action);
    }

    #announce(entries: readonly FileEntry[]): void {
      const said: string[] = [];
      for (const entry of entries) {
        if (this.#spokenStates.get(entry.id) === entry.status) continue;
        this.#spokenStates.set(entry.id, entry.status);
        if (entry.status === "checking") continue;
        const error =
          entry.status === "failed" || entry.status === "refused"
            ? `. ${sentence(entry.error?.message ?? "")}`
            : "";
        said.push(`${entry.file.name}: ${STATE_WORDS[entry.status].toLowerCase()}${error}`);
      }
      const now = Date.now();
      if (said.length === 0 && now - this.#lastProgressSaid >= ANNOUNCE_PROGRESS_EVERY_MS) {
        for (const entry of entries) {
          if (entry.status === "uploading" && entry.progress) {
            said.push(`${entry.file.name}: ${describeProgress(entry.progress)}`);
          }
        }
      }
      if (said.length === 0) return;
      this.#lastProgressSaid = now;
      this.#live.textContent = said.join(". ");
    }
  };
}
