/**
 * The upload API as route handlers for frameworks that hand a route a Web `Request`
 * (Next.js App Router, SvelteKit, Astro, Remix): in Next.js,
 * `export const { GET, POST, DELETE } = toRouteHandlers(handler);` in
 * `app/api/uploads/[[...path]]/route.ts`.
 */
import type { WebHandler } from "./node.js";

export interface RouteHandlers {
  GET(request: Request): Promise<Response>;
  POST(request: Request): Promise<Response>;
  DELETE(request: Request): Promise<Response>;
}

export function toRouteHandlers(handler: Pick<WebHandler, "handle">): RouteHandlers {
  const handle = (request: Request) => handler.handle(request);
  return { GET: handle, POST: handle, DELETE: handle };
}
