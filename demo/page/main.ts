/**
 * The demo page: sign in, pick, drop or paste files, watch each go straight into the
 * bucket, see the files that arrived. The uploading is `<sluice-dropzone>` from
 * `@sluice/ui`, as any page would use it; this file adds the demo's sign-in, its route
 * picker and the list of files in the bucket.
 *
 * For tests and people alike, each file's row in the dropzone carries `data-status`
 * (checking, refused, queued, uploading, paused, done, failed, aborted) and, once done,
 * `data-key`.
 */
import type { FileRecord } from "@sluice/client";
import { defineSluiceDropzone, type SluiceDropzoneElement } from "@sluice/ui";

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

let routes: RouteInfo[] = [];

async function main(): Promise<void> {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void signIn();
  });
  $("sign-out").addEventListener("click", () => void signOut());
  defineSluiceDropzone();
  const drop = $<SluiceDropzoneElement>("drop");
  drop.addEventListener("sluice-complete", () => void refreshFiles());
  drop.addEventListener("sluice-error", (event) => {
    if (event.detail.error.kind === "unauthenticated") showSignIn(event.detail.error.message);
  });
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
  if (route) $<SluiceDropzoneElement>("drop").route = route.name;
  // The dropzone says which types and how large, from the API; this adds how big files travel.
  const hint = $("hint");
  hint.textContent =
    route && route.maxSize > route.multipartThreshold
      ? `Files over ${formatBytes(route.multipartThreshold, 0)} go up in parallel parts that survive a reload.`
      : "";
  hint.hidden = hint.textContent === "";
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

void main();
