// The page of the Companion-mode scenarios: plain `@uppy/aws-s3` pointed at the upload
// API, the lines README's "Using Uppy" shows for each major version, plus a handle for
// the test.
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";

const target = document.createElement("div");
target.id = "uppy";
document.body.replaceChildren(target);

const MiB = 1024 * 1024;
const major = Number(Uppy.VERSION.split(".")[0]);
const uppy = new Uppy().use(Dashboard, { inline: true, target: "#uppy" }).use(
  AwsS3,
  major >= 6
    ? // Uppy 6 sends any other file as a POST form, which R2 does not accept.
      { companionEndpoint: "/api/uploads", shouldUseMultipart: true }
    : // Uppy's default starts parts at 100 MiB; any threshold works.
      { endpoint: "/api/uploads", shouldUseMultipart: (file) => file.size > 16 * MiB },
);

window.uppy = uppy;
window.uppyVersion = Uppy.VERSION;
