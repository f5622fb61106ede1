/**
 * Upload ids: 128 random bits, base64url (22 characters). Unguessable, so an id is
 * useless to anyone it was not given to; URL- and key-safe, so it can name the object.
 */
import { randomBytes } from "node:crypto";

const UPLOAD_ID = /^[A-Za-z0-9_-]{22}$/;

export function newUploadId(): string {
  return randomBytes(16).toString("base64url");
}

export function isUploadId(id: string): boolean {
  return UPLOAD_ID.test(id);
}
