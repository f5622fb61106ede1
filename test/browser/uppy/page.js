// The page of the Uppy scenarios, bundled once per major version of Uppy: the lines
// README's "Using Uppy" shows, plus a handle for the test. Plain JavaScript: the test
// folder is type-checked for Node, without the DOM's types.
import { SluiceUpload } from "@sluice/uppy";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import GoldenRetriever from "@uppy/golden-retriever";

// The test adds this script to the app's own page (a document served from loopback, which
// Chromium's local network access rules require before it lets the page reach the store).
const target = document.createElement("div");
target.id = "uppy";
document.body.replaceChildren(target);

const uppy = new Uppy()
  .use(Dashboard, { inline: true, target: "#uppy" })
  .use(GoldenRetriever, { indexedDB: { maxFileSize: 128 * 1024 * 1024 } })
  .use(SluiceUpload, { endpoint: "/api/uploads", route: "avatar" });

window.uppy = uppy;
window.uppyVersion = Uppy.VERSION;
