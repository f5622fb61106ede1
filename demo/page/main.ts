/**
 * The demo page: sign in, pick or drop files, watch each go straight into the bucket,
 * see the files that arrived. Plain DOM and `@sluice/client`, no framework.
 *
 * For tests and people alike, each upload row carries `data-upload-status` (queued,
 * uploading, paused, done, failed, aborted) and, once done, `data-upload-key`.
 */
import {
  createUploader,
  type FileRecord,
  type Progress,
  type UploadError,
  type UploadHandle,
  type UploadStatus,
} from "@sluice/client";

interface RouteInfo {
  readonly name: string;
  readonly label: string;
  readonly hint: string;
  readonly types: readonly string[];
  readonly maxSize: number;
  readonly multipartThreshold: number;
}

interface ListedFile extends FileRecord {
  readonly url: string;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
};

const uploader = createUploader({ endpoint: "/api/uploads" });
let routes: RouteInfo[] = [];

const STATUS_WORDS: Record<UploadStatus, string> = {
  queued: "Queued",
  uploading: "Uploading",
  paused: "Paused",
  done: "Uploaded",
  failed: "Failed",
  aborted: "Cancelled",
};

async function main(): Promise<void> {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void signIn();
  });
  $("sign-out").addEventListener("click", () => void signOut());
  wirePicker();
  const [session, config] = await Promise.all([getJson("/api/session"), getJson("/api/config")]);
  routes = (config.body as { routes: RouteInfo[] }).routes;
  renderRoutes();
  if (session.status === 200) showApp((session.body as { name: string }).name);
  else showSignIn();
}

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { cache: "no-store", ...init });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

function showSignIn(message = ""): void {
  $("sign-in").hidden = false;
  $("app").hidden = true;
  $("who").hidden = true;
  $("sign-in-error").textContent = message;
  $<HTMLInputElement>("name").focus();
}

function showApp(name: string): void {
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  $("who-name").textContent = name;
  void refreshFiles();
}

async function signIn(): Promise<void> {
  const name = $<HTMLInputElement>("name").value;
  const answer = await getJson("/api/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (answer.status === 200) showApp((answer.body as { name: string }).name);
  else showSignIn(errorMessage(answer.body) ?? `Signing in failed (HTTP ${answer.status}).`);
}

async function signOut(): Promise<void> {
  await fetch("/api/session", { method: "DELETE" });
  showSignIn();
}

function errorMessage(body: unknown): string | undefined {
  return (body as { error?: { message?: string } } | undefined)?.error?.message;
}

function renderRoutes(): void {
  const fieldset = $("routes");
  routes.forEach((route, index) => {
    const label = document.createElement("label");
    label.className = "route";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "route";
    input.value = route.name;
    input.checked = index === 0;
    input.addEventListener("change", updateHint);
    const text = document.createElement("span");
    text.textContent = route.label;
    const hint = document.createElement("small");
    hint.textContent = formatBytes(route.maxSize, 0);
    label.append(input, text, hint);
    fieldset.append(label);
  });
  updateHint();
}

function selectedRoute(): RouteInfo | undefined {
  const checked = document.querySelector<HTMLInputElement>('input[name="route"]:checked');
  return routes.find((route) => route.name === checked?.value);
}

function updateHint(): void {
  const route = selectedRoute();
  $("hint").textContent = route
    ? `${route.label}: ${route.hint}${route.maxSize > route.multipartThreshold ? `; over ${formatBytes(route.multipartThreshold, 0)} in parallel parts that survive a reload` : ""}.`
    : "";
  // A hint for the file dialog only: the upload API decides what is allowed.
  $<HTMLInputElement>("picker").accept = route ? route.types.join(",") : "";
}

function wirePicker(): void {
  const picker = $<HTMLInputElement>("picker");
  const drop = $("drop");
  picker.addEventListener("change", () => {
    const files = [...(picker.files ?? [])];
    // Cleared, so choosing the same file again (to resume it) is a change too.
    picker.value = "";
    for (const file of files) startUpload(file);
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    for (const file of event.dataTransfer?.files ?? []) startUpload(file);
  });
}

function startUpload(file: File): void {
  const route = selectedRoute();
  if (!route) return;
  const row = createRow(file);
  $("uploads").prepend(row.element);
  $("uploads-empty").hidden = true;
  const handle = uploader.upload(file, {
    route: route.name,
    onProgress: (progress) => row.progress(progress),
    onStatus: (status) => row.status(status, handle),
  });
  row.bind(handle);
  row.status(handle.status, handle);
  handle.result.then(
    (record) => {
      row.done(record);
      void refreshFiles();
    },
    (error: UploadError) => {
      row.failed(error);
      if (error.kind === "unauthenticated") showSignIn(error.message);
    },
  );
}

interface Row {
  readonly element: HTMLLIElement;
  bind(handle: UploadHandle): void;
  progress(progress: Progress): void;
  status(status: UploadStatus, handle: UploadHandle): void;
  done(record: FileRecord): void;
  failed(error: UploadError): void;
}

function createRow(file: File): Row {
  const element = document.createElement("li");
  element.className = "upload";
  element.innerHTML = `
    <div class="upload-head">
      <span class="upload-name"></span>
      <span class="upload-size"></span>
      <span class="upload-state"></span>
    </div>
    <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
      <div class="bar-fill"></div>
    </div>
    <div class="upload-meta">
      <span class="upload-percent">0%</span>
      <span class="upload-speed"></span>
      <span class="upload-eta"></span>
      <span class="upload-actions">
        <button type="button" class="small pause">Pause</button>
        <button type="button" class="small cancel">Cancel</button>
      </span>
    </div>
    <p class="upload-note"></p>
    <p class="upload-error" role="alert"></p>`;
  const part = <T extends Element>(selector: string) => element.querySelector(selector) as T;
  part<HTMLElement>(".upload-name").textContent = file.name;
  part<HTMLElement>(".upload-name").title = file.name;
  part<HTMLElement>(".upload-size").textContent = formatBytes(file.size);
  const bar = part<HTMLElement>(".bar");
  const fill = part<HTMLElement>(".bar-fill");
  const pause = part<HTMLButtonElement>(".pause");
  const cancel = part<HTMLButtonElement>(".cancel");
  let handle: UploadHandle | undefined;

  pause.addEventListener("click", () => {
    if (!handle) return;
    if (handle.status === "paused") handle.resume();
    else handle.pause();
  });
  cancel.addEventListener("click", () => handle?.abort());

  const showProgress = (progress: Progress) => {
    bar.setAttribute("aria-valuenow", String(progress.percent));
    fill.style.width = `${progress.fraction * 100}%`;
    part<HTMLElement>(".upload-percent").textContent = `${progress.percent}%`;
    part<HTMLElement>(".upload-speed").textContent =
      progress.bytesPerSecond > 0 ? `${formatBytes(progress.bytesPerSecond)}/s` : "";
    part<HTMLElement>(".upload-eta").textContent =
      progress.etaSeconds !== undefined && progress.fraction < 1
        ? `${formatDuration(progress.etaSeconds)} left`
        : "";
  };

  return {
    element,
    bind(bound) {
      handle = bound;
    },
    progress: showProgress,
    status(status, current) {
      element.dataset.uploadStatus = status;
      part<HTMLElement>(".upload-state").textContent = STATUS_WORDS[status];
      pause.textContent = status === "paused" ? "Resume" : "Pause";
      const active = status === "queued" || status === "uploading" || status === "paused";
      pause.hidden = !active;
      cancel.hidden = !active;
      if (current.resumedParts > 0) {
        part<HTMLElement>(".upload-note").textContent =
          `Resumed: ${current.resumedParts} ${current.resumedParts === 1 ? "part was" : "parts were"} already in the bucket.`;
      }
    },
    done(record) {
      element.dataset.uploadKey = record.key;
      if (handle) showProgress(handle.progress);
      part<HTMLElement>(".upload-speed").textContent = "";
      part<HTMLElement>(".upload-eta").textContent = "Verified by the app";
    },
    failed(error) {
      part<HTMLElement>(".upload-speed").textContent = "";
      part<HTMLElement>(".upload-eta").textContent = "";
      if (error.kind !== "aborted")
        part<HTMLElement>(".upload-error").textContent = sentence(error.message);
    },
  };
}

async function refreshFiles(): Promise<void> {
  const answer = await getJson("/api/files");
  if (answer.status !== 200) return;
  const files = (answer.body as { files: ListedFile[] }).files;
  const list = $("files");
  list.replaceChildren(...files.map(fileItem));
  $("files-empty").hidden = files.length > 0;
}

function fileItem(file: ListedFile): HTMLLIElement {
  const item = document.createElement("li");
  item.className = "file";
  item.dataset.fileKey = file.key;
  const thumb = document.createElement("div");
  thumb.className = "thumb";
  if (file.type.startsWith("image/")) {
    const image = document.createElement("img");
    image.src = file.url;
    image.alt = "";
    image.loading = "lazy";
    thumb.append(image);
  } else {
    thumb.textContent = file.key.split(".").pop()?.slice(0, 4) ?? "file";
  }
  const text = document.createElement("div");
  text.className = "file-text";
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = file.name;
  const meta = document.createElement("span");
  meta.className = "file-meta";
  meta.textContent = `${formatBytes(file.size)} · ${file.type} · ${file.route} · ${new Date(file.completedAt).toLocaleString()}`;
  text.append(name, meta);
  const link = document.createElement("a");
  link.href = file.url;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.textContent = "Open";
  item.append(thumb, text, link);
  return item;
}

/** The API's messages start in lower case, to be embedded; shown alone, they are sentences. */
function sentence(text: string): string {
  // "the file has…" becomes "The file has…"; "application/pdf files…" stays as it is.
  const capitalised = /^[a-z]+[\s,;:]/.test(text)
    ? text.charAt(0).toUpperCase() + text.slice(1)
    : text;
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

function formatBytes(bytes: number, digits = 1): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(digits)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 1) return "under a second";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.ceil(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

void main();
