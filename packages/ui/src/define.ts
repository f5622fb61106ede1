/**
 * `import "@sluice/ui/define"` (or a `<script type="module">` of it): registers
 * `<sluice-dropzone>` as it loads, for pages that use the element and nothing else.
 */
import { defineSluiceDropzone } from "./dropzone-element.js";

defineSluiceDropzone();

export { defineSluiceDropzone };
