/**
 * Code that runs in the page, as strings: this folder is type-checked for Node, without
 * the DOM's types, and the page's side of a test is a few lines anyway.
 */

/** Records every change of an upload row's bar, with the row's status at that moment. */
export const RECORD_BAR_CHANGES = `(() => {
  const seen = [];
  window.barLog = seen;
  new MutationObserver((records) => {
    for (const record of records) {
      const item = record.target.closest("li");
      seen.push([Number(record.target.getAttribute("value")), item ? item.dataset.status : ""]);
    }
  }).observe(document.getElementById("drop").shadowRoot, {
    subtree: true,
    attributes: true,
    attributeFilter: ["value"],
  });
})()`;

export const BAR_CHANGES = "window.barLog";

/** True once the listed file's thumbnail has loaded at `width` pixels. */
export function thumbnailLoaded(key: string, width: number): string {
  return `(() => {
    const img = document.querySelector(${JSON.stringify(`#files li[data-file-key="${key}"] img`)});
    return Boolean(img && img.complete && img.naturalWidth === ${width});
  })()`;
}
