/**
 * @sluice/store — an embedded S3-compatible object store that behaves like R2 where
 * browser uploads depend on it: SigV4 (header, presigned, aws-chunked), strict per-bucket
 * CORS, S3's error codes and messages, durable streaming writes.
 */
export { crc32c, Digests } from "./checksums.js";
export { type CredentialsSource, resolveCredentials } from "./credentials.js";
export { FLAVORS, type Flavor, type FlavorName, isFlavorName } from "./flavor.js";
export { createHandler, type Handler, type HandlerOptions } from "./http/handler.js";
export { S3Error } from "./http/s3-error.js";
export type { RequestContext } from "./http/s3-request.js";
export { type NodeListener, nodeListener, type RequestLogEntry } from "./node-adapter.js";
export { SMALL_BODY_MAX_BYTES } from "./storage/object-storage.js";
export { createStore, type Store, type StoreOptions } from "./store.js";
