/** /v1/admin/keys: an admin key manages its own project's API keys. */
import { Hono } from "hono";
import { listApiKeys, revokeApiKey } from "../../db/store/api_keys.ts";
import { NotFoundError } from "../../src/errors.ts";
import { createApiKey, parseScope } from "../auth/api_key.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../env.ts";

/** The key management routes (authenticate() requires an admin key for /v1/admin/*). */
export const admin = new Hono<AppEnv>();

admin.post("/v1/admin/keys", async (c) => {
  const body = await readJsonObject(c);
  const created = await createApiKey(c.get("deps").db, c.get("principal").projectId, parseScope(body.scope));
  return c.json(created, 201);
});

admin.get("/v1/admin/keys", async (c) => {
  const rows = await listApiKeys(c.get("deps").db, c.get("principal").projectId);
  return c.json({
    keys: rows.map((k) => ({
      id: k.id,
      scope: k.scope,
      created_at: k.createdAt.toISOString(),
      revoked_at: k.revokedAt?.toISOString() ?? null,
    })),
  });
});

admin.delete("/v1/admin/keys/:keyId", async (c) => {
  const keyId = c.req.param("keyId");
  if (!(await revokeApiKey(c.get("deps").db, c.get("principal").projectId, keyId))) {
    throw new NotFoundError("key_not_found", `key ${keyId} does not exist in this project`);
  }
  return c.json({ id: keyId, revoked: true });
});
