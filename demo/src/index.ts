/**
 * @sluice/demo — the page and app that `sluice dev` serves, and `startDev()`, which runs
 * them with the embedded store behind strict CORS.
 */
export { createDemoApp, type DemoApp, type DemoAppOptions } from "./app.js";
export {
  DEFAULT_APP_PORT,
  DEFAULT_BUCKET,
  DEFAULT_STORE_PORT,
  type DevOptions,
  type DevServers,
  startDev,
  storeRequest,
} from "./dev.js";
export { loadPageAssets, PAGE_DIR, type PageAssets } from "./page-assets.js";
export { AVATAR_TYPES, demoRoutes, FILE_TYPES, type RouteInfo, routeInfo } from "./routes.js";
export { type DemoUser, SESSION_COOKIE, Sessions } from "./session.js";
