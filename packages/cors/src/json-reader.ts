/**
 * Strict readers for the JSON forms: the shape is checked key by key, unknown keys are
 * refused (as the AWS CLI refuses "Unknown parameter"), and every failure says where.
 * Missing required lists are `MalformedJSON`; present-but-empty ones pass through, so
 * validation answers them exactly as S3 answers an XML rule without that element.
 */
import { assertConfigurationSize } from "./configuration-size.js";
import { malformedJson } from "./cors-config-error.js";

export type JsonObject = Readonly<Record<string, unknown>>;

export function parseJsonText(text: string): unknown {
  assertConfigurationSize(text);
  try {
    // A byte-order mark is not content; JSON.parse would refuse it.
    return JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (error) {
    throw malformedJson(`not JSON: ${(error as Error).message}`);
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, path: string, keys: readonly string[]): JsonObject {
  if (!isJsonObject(value)) throw malformedJson(`${path} must be an object`);
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) {
      throw malformedJson(`unknown key "${key}" in ${path}; expected ${keys.join(", ")}`);
    }
  }
  return value;
}

export function expectArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw malformedJson(`${path} must be an array`);
  return value;
}

export function requiredStrings(object: JsonObject, key: string, path: string): string[] {
  if (!(key in object)) throw malformedJson(`${path} has no "${key}"`);
  return strings(object[key], `${path}.${key}`);
}

export function optionalStrings(object: JsonObject, key: string, path: string): string[] {
  return key in object ? strings(object[key], `${path}.${key}`) : [];
}

export function optionalString(object: JsonObject, key: string, path: string): string | undefined {
  if (!(key in object)) return undefined;
  const value = object[key];
  if (typeof value !== "string") throw malformedJson(`${path}.${key} must be a string`);
  return value;
}

export function optionalNumber(object: JsonObject, key: string, path: string): number | undefined {
  if (!(key in object)) return undefined;
  const value = object[key];
  if (typeof value !== "number") throw malformedJson(`${path}.${key} must be a number`);
  return value;
}

function strings(value: unknown, path: string): string[] {
  const array = expectArray(value, path);
  return array.map((item, index) => {
    if (typeof item !== "string") throw malformedJson(`${path}[${index}] must be a string`);
    return item;
  });
}

/** JSON.stringify with the property order given, leaving out undefined and empty lists. */
export function compact(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    object[key] = value;
  }
  return object;
}
