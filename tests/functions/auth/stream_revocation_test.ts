/**
 * Keys that outlive their check: an event stream opened with a key ends within the re-check interval once the
 * key is revoked, and admin routes never take a key from the query string (it ends up in logs and histories).
 */
import assert from "node:assert/strict";
import { createApiKey } from "../../../functions/auth/api_key.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import { readEvents, startTestService } from "../../_support/service.ts";

testEachDatabase("an event stream ends with an error event soon after its key is revoked", async (db) => {
  const s = await startTestService(db, { auth: "on", streamKeyRecheckMs: 200 });
  try {
    const admin = await createApiKey(s.deps.db, "lab", "admin");
    const read = await createApiKey(s.deps.db, "lab", "read");
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const ref = await (await s.request("/v1/references?name=r", {
      method: "POST",
      body: npyOf(randomFeatures(10, 3, 1), 10, 3) as BodyInit,
      headers: { ...auth(admin.key), "content-type": "application/x-npy" },
    })).json();
    const run = await (await s.request("/v1/runs", {
      method: "POST",
      body: JSON.stringify({ name: "x", reference: ref.id }),
      headers: auth(admin.key),
    })).json();
    // A second stream with the admin key keeps going: revocation ends only the revoked key's streams.
    const stream = await s.request(`/v1/runs/${run.id}/events?access_token=${read.key}`);
    const other = await s.request(`/v1/runs/${run.id}/events`, { headers: auth(admin.key) });
    assert.equal(stream.status, 200);
    const revoked = await s.request(`/v1/admin/keys/${read.id}`, {
      method: "DELETE",
      headers: auth(admin.key),
    });
    assert.equal(revoked.status, 200, await revoked.text());
    const t0 = performance.now();
    const events = await readEvents(stream, (e) => e.event === "error");
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(events.at(-1)?.event, "error");
    assert.equal(JSON.parse(events.at(-1)!.data).code, "key_revoked");
    assert.ok(seconds < 3, `ended after ${seconds.toFixed(1)} s`);
    // The admin's stream still answers: a batch's metrics arrive on it.
    await s.request(`/v1/runs/${run.id}/batches`, {
      method: "POST",
      body: npyOf(randomFeatures(6, 3, 2), 6, 3) as BodyInit,
      headers: { ...auth(admin.key), "content-type": "application/x-npy" },
    });
    const more = await readEvents(other, (e) => e.event === "metrics" || e.event === "error");
    assert.equal(more.at(-1)?.event, "metrics");
    // And the revoked key opens nothing new.
    assert.equal((await s.request(`/v1/runs/${run.id}/events?access_token=${read.key}`)).status, 401);
  } finally {
    await s.close();
  }
});

testEachDatabase("admin routes refuse a key in ?access_token, even a valid admin key", async (db) => {
  const s = await startTestService(db, { auth: "on" });
  try {
    const admin = await createApiKey(s.deps.db, "lab", "admin");
    const viaQuery = await s.request(`/v1/admin/keys?access_token=${admin.key}`);
    assert.equal(viaQuery.status, 401);
    assert.equal((await viaQuery.json()).error.code, "access_token_not_allowed");
    const viaHeader = await s.request("/v1/admin/keys", {
      headers: { authorization: `Bearer ${admin.key}` },
    });
    assert.equal(viaHeader.status, 200);
    // Reads elsewhere still take it (browsers' EventSource and <img> cannot send headers).
    assert.equal((await s.request(`/v1/runs?access_token=${admin.key}`)).status, 200);
  } finally {
    await s.close();
  }
});
