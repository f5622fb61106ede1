import { toRouteHandlers } from "@sluice/server";
import { uploadHandler } from "../../../../../fixtures/app.mjs";

export const { GET, POST, DELETE } = toRouteHandlers(uploadHandler());
