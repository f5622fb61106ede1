/**
 * The dropzone's stylesheet, inside its shadow root. Everything a page may want to change
 * is a custom property on the element (set them on `sluice-dropzone { … }`; the page's
 * rules win over these defaults) or a part (`sluice-dropzone::part(button)`). Light by
 * default, dark under `prefers-color-scheme: dark`, and either forced with
 * `theme="light"` or `theme="dark"`. States never rest on colour alone: each has its word.
 */
const LIGHT = `
  --sluice-bg: #ffffff;
  --sluice-surface: #f6f8fa;
  --sluice-fg: #1f2328;
  --sluice-muted: #59636e;
  --sluice-border: #d1d9e0;
  --sluice-accent: #0969da;
  --sluice-accent-fg: #ffffff;
  --sluice-danger: #cf222e;
  --sluice-success: #1a7f37;
  --sluice-focus: #0969da;
  color-scheme: light;
`;

const DARK = `
  --sluice-bg: #0d1117;
  --sluice-surface: #151b23;
  --sluice-fg: #e6edf3;
  --sluice-muted: #9198a1;
  --sluice-border: #3d444d;
  --sluice-accent: #1f6feb;
  --sluice-accent-fg: #ffffff;
  --sluice-danger: #ff7b72;
  --sluice-success: #3fb950;
  --sluice-focus: #58a6ff;
  color-scheme: dark;
`;

export const STYLES = `
:host {
  ${LIGHT}
  --sluice-radius: 10px;
  --sluice-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  display: block;
  container-type: inline-size;
  color: var(--sluice-fg);
  font: 15px/1.45 var(--sluice-font);
}
@media (prefers-color-scheme: dark) {
  :host(:not([theme="light"])) { ${DARK} }
}
:host([theme="dark"]) { ${DARK} }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }

.zone {
  display: grid;
  justify-items: center;
  gap: 6px;
  padding: 28px 16px;
  border: 2px dashed var(--sluice-border);
  border-radius: var(--sluice-radius);
  background: var(--sluice-surface);
  text-align: center;
  cursor: pointer;
}
.zone[data-dragging] {
  border-style: solid;
  border-color: var(--sluice-accent);
  background: var(--sluice-bg);
}
.title { margin: 0; font-weight: 600; }
.hint { margin: 0; color: var(--sluice-muted); font-size: 0.875em; max-width: 60ch; overflow-wrap: anywhere; }
.hint.error { color: var(--sluice-danger); }
:host([variant="button"]) .zone {
  justify-items: start;
  padding: 0;
  border: 0;
  background: none;
  text-align: start;
  cursor: default;
}
:host([variant="button"]) .title { display: none; }

button {
  font: inherit;
  font-size: 0.875em;
  min-height: 32px;
  padding: 4px 12px;
  border: 1px solid var(--sluice-border);
  border-radius: calc(var(--sluice-radius) * 0.6);
  background: var(--sluice-bg);
  color: var(--sluice-fg);
  cursor: pointer;
}
button:hover { border-color: var(--sluice-muted); }
button:focus-visible {
  outline: 3px solid var(--sluice-focus);
  outline-offset: 2px;
}
button.choose {
  min-height: 40px;
  padding: 8px 18px;
  font-size: 1em;
  font-weight: 600;
  border-color: var(--sluice-accent);
  background: var(--sluice-accent);
  color: var(--sluice-accent-fg);
}
button.choose:hover { filter: brightness(1.08); }
button[hidden], [hidden] { display: none !important; }

.files {
  list-style: none;
  margin: 12px 0 0;
  padding: 0;
  display: grid;
  gap: 8px;
}
.files:empty { display: none; }
.file {
  display: grid;
  grid-template-columns: 48px minmax(0, 1fr);
  grid-template-areas: "thumb body" "actions actions";
  gap: 8px 12px;
  align-items: center;
  padding: 10px 12px;
  border: 1px solid var(--sluice-border);
  border-left-width: 4px;
  border-radius: var(--sluice-radius);
  background: var(--sluice-bg);
}
@container (min-width: 520px) {
  .file { grid-template-columns: 48px minmax(0, 1fr) auto; grid-template-areas: "thumb body actions"; }
}
.file[data-status="done"] { border-left-color: var(--sluice-success); }
.file[data-status="failed"], .file[data-status="refused"] { border-left-color: var(--sluice-danger); }
.file[data-status="uploading"] { border-left-color: var(--sluice-accent); }
.thumb {
  grid-area: thumb;
  width: 48px;
  height: 48px;
  border-radius: 6px;
  background: var(--sluice-surface);
  border: 1px solid var(--sluice-border);
  display: grid;
  place-items: center;
  overflow: hidden;
  font-size: 11px;
  font-weight: 700;
  color: var(--sluice-muted);
}
.thumb img { width: 100%; height: 100%; object-fit: cover; }
.body { grid-area: body; min-width: 0; display: grid; gap: 4px; }
.line { display: flex; gap: 8px; align-items: baseline; min-width: 0; }
.name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.size { color: var(--sluice-muted); font-size: 0.875em; white-space: nowrap; }
progress {
  width: 100%;
  height: 8px;
  appearance: none;
  border: 0;
  border-radius: 4px;
  background: var(--sluice-surface);
  overflow: hidden;
}
progress::-webkit-progress-bar { background: var(--sluice-surface); border-radius: 4px; }
progress::-webkit-progress-value { background: var(--sluice-accent); border-radius: 4px; }
progress::-moz-progress-bar { background: var(--sluice-accent); }
.file[data-status="done"] progress::-webkit-progress-value { background: var(--sluice-success); }
.file[data-status="failed"] progress::-webkit-progress-value,
.file[data-status="aborted"] progress::-webkit-progress-value { background: var(--sluice-muted); }
.status { color: var(--sluice-muted); font-size: 0.875em; }
.state { font-weight: 600; color: var(--sluice-fg); }
.state::before { content: var(--icon, none); margin-inline-end: 4px; }
.file[data-status="done"] .state { color: var(--sluice-success); --icon: "✓"; }
.file[data-status="failed"] .state,
.file[data-status="refused"] .state { color: var(--sluice-danger); --icon: "!"; }
.file[data-status="paused"] .state { --icon: "❚❚"; }
.file[data-status="aborted"] .state { --icon: "✕"; }
.error { margin: 0; color: var(--sluice-danger); font-size: 0.875em; overflow-wrap: anywhere; }
.actions { grid-area: actions; display: flex; gap: 6px; flex-wrap: wrap; justify-content: flex-end; }
.sr-only {
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}
`;
