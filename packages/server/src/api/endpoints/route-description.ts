/**
 * `GET {base}/routes/{name}` → 200: a route's public policy (the types it takes, its
 * sizes, when a file goes in parts), so a page can say what it accepts before anything
 * is chosen and refuse a file without asking for a URL. Nothing here is secret: the same
 * facts are in every refusal `POST {base}` answers with. No sign-in is needed to read it,
 * as none is needed to read a form's `accept` list.
 */

import type { RouteDescription } from "../../protocol.js";
import { apiError } from "../api-error.js";
import { routeNamed } from "../route.js";
import { type EndpointContext, json } from "./endpoint.js";

/** The part of the path after `{base}`. */
export const ROUTE_DESCRIPTION_PATH = /^\/routes\/([^/]+)\/?$/;

export function describeRoute(
  context: EndpointContext,
  request: Request,
  subpath: string,
): Response {
  const match = ROUTE_DESCRIPTION_PATH.exec(subpath);
  if (!match) throw apiError("not_found", "ask for one route: GET {base}/routes/{name}");
  if (request.method !== "GET") {
    throw apiError("method_not_allowed", `${request.method} is not allowed here; use GET`, {
      allow: "GET",
    });
  }
  let name: string;
  try {
    name = decodeURIComponent(match[1] as string);
  } catch {
    throw apiError("bad_request", "the route name is not valid percent-encoding");
  }
  const route = routeNamed(context.routes, name);
  if (!route) {
    throw apiError("unknown_route", `there is no upload route named ${JSON.stringify(name)}`);
  }
  const description: RouteDescription = {
    route: name,
    types: route.types,
    maxSize: route.maxSize,
    minSize: route.minSize,
    multipartThreshold: route.multipartThreshold,
    partSize: route.partSize,
  };
  return json(200, description);
}
