/** GET /v1/openapi.json. */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { openapiDocument } from "./document.ts";

/** The OpenAPI route. */
export const openapi = new Hono<AppEnv>();

openapi.get("/v1/openapi.json", (c) => c.json(openapiDocument));
