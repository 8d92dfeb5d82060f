/** API keys: scopes, project isolation, revocation, rate limits; rejected requests touch nothing. */
import assert from "node:assert/strict";
import { createApiKey } from "../../../functions/auth/api_key.ts";
import { configFromEnv } from "../../../functions/config.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import { readEvents, startTestService, type TestService } from "../../_support/service.ts";

const D = 3;

function as(s: TestService, key: string | undefined, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  return s.request(path, { ...init, headers });
}

const npy = (seed: number) => npyOf(randomFeatures(10, D, seed), 10, D) as BodyInit;
const npyHeaders = { "content-type": "application/x-npy" };

testEachDatabase(
  "scopes gate reads, writes and key management, and no key or a bad key is a 401",
  async (db) => {
    const s = await startTestService(db, { auth: "on" });
    try {
      const { key: adminKey } = await createApiKey(s.deps.db, "lab", "admin");
      const mk = async (scope: string) =>
        (await (await as(s, adminKey, "/v1/admin/keys", { method: "POST", body: JSON.stringify({ scope }) }))
          .json()).key;
      const writeKey = await mk("write"), readKey = await mk("read");
      const ref = await (await as(s, writeKey, "/v1/references?name=r", {
        method: "POST",
        body: npy(1),
        headers: npyHeaders,
      })).json();
      const run = await (await as(s, writeKey, "/v1/runs", {
        method: "POST",
        body: JSON.stringify({ name: "x", reference: ref.id }),
      })).json();
      const upload = (key: string | undefined, k: string) =>
        as(s, key, `/v1/runs/${run.id}/batches`, {
          method: "POST",
          body: npy(2),
          headers: { ...npyHeaders, "idempotency-key": k },
        });

      assert.equal((await upload(writeKey, "a")).status, 200);
      const none = await upload(undefined, "b");
      assert.equal(none.status, 401);
      assert.equal((await none.json()).error.code, "missing_api_key");
      assert.match(none.headers.get("www-authenticate") ?? "", /Bearer/);
      assert.equal((await upload("fsk_000000000000_" + "A".repeat(43), "c")).status, 401);
      assert.equal(
        (await upload(writeKey.slice(0, -1) + (writeKey.endsWith("A") ? "B" : "A"), "d")).status,
        401,
        "wrong secret",
      );
      const readOnly = await upload(readKey, "e");
      assert.equal(readOnly.status, 403);
      assert.equal((await readOnly.json()).error.code, "insufficient_scope");
      assert.equal((await as(s, readKey, `/v1/runs/${run.id}`)).status, 200);
      assert.equal((await as(s, writeKey, "/v1/admin/keys")).status, 403, "write keys do not manage keys");
      assert.equal((await as(s, undefined, "/v1/openapi.json")).status, 200, "the API description is public");

      const got = await (await as(s, readKey, `/v1/runs/${run.id}`)).json();
      assert.equal(got.n, 10, "only the authorized upload counted");

      // SSE through EventSource cannot set headers: a read key in the query works for GET.
      const stream = await s.request(`/v1/runs/${run.id}/events?access_token=${encodeURIComponent(readKey)}`);
      assert.equal(stream.status, 200);
      await readEvents(stream, () => true);

      const listed = await (await as(s, adminKey, "/v1/admin/keys")).json();
      assert.equal(listed.keys.length, 3);
      const writeId = writeKey.split("_")[1];
      assert.equal((await as(s, adminKey, `/v1/admin/keys/${writeId}`, { method: "DELETE" })).status, 200);
      assert.equal((await upload(writeKey, "f")).status, 401, "a revoked key stops working at once");
    } finally {
      await s.close();
    }
  },
);

testEachDatabase(
  "one project's key never reads or writes another project's runs and references",
  async (db) => {
    const s = await startTestService(db, { auth: "on" });
    try {
      const a = (await createApiKey(s.deps.db, "team-a", "admin")).key;
      const b = (await createApiKey(s.deps.db, "team-b", "admin")).key;
      const ref =
        await (await as(s, a, "/v1/references?name=r", { method: "POST", body: npy(1), headers: npyHeaders }))
          .json();
      const run = await (await as(s, a, "/v1/runs", {
        method: "POST",
        body: JSON.stringify({ name: "x", reference: ref.id }),
      })).json();
      for (
        const [path, init] of [
          [`/v1/runs/${run.id}`, {}],
          [`/v1/runs/${run.id}/metrics`, {}],
          [`/v1/runs/${run.id}/events`, {}],
          [`/v1/references/${ref.id}`, {}],
          [`/v1/runs/${run.id}/batches`, { method: "POST", body: npy(3), headers: npyHeaders }],
          [`/v1/references/${ref.id}/batches`, { method: "POST", body: npy(3), headers: npyHeaders }],
          [`/v1/runs/${run.id}/finalize`, { method: "POST" }],
        ] as Array<[string, RequestInit]>
      ) {
        const res = await as(s, b, path, init);
        assert.equal(res.status, 404, `${init.method ?? "GET"} ${path}`);
      }
      const foreignRun = await as(s, b, "/v1/runs", {
        method: "POST",
        body: JSON.stringify({ name: "y", reference: ref.id }),
      });
      assert.equal(foreignRun.status, 422, "cannot create a run on another project's reference");
      assert.deepEqual((await (await as(s, b, "/v1/runs")).json()).runs, []);
      assert.deepEqual((await (await as(s, b, "/v1/references")).json()).references, []);
      assert.equal((await (await as(s, a, "/v1/runs")).json()).runs.length, 1);
      assert.equal(
        (await (await as(s, a, `/v1/runs/${run.id}`)).json()).status,
        "streaming",
        "b's finalize did nothing",
      );
      assert.equal((await (await as(s, a, `/v1/references/${ref.id}`)).json()).n, 10);
    } finally {
      await s.close();
    }
  },
);

testEachDatabase("requests over the per-key rate get a 429 with Retry-After", async (db) => {
  const s = await startTestService(db, { auth: "on", requestsPerMinute: 3 });
  try {
    const key = (await createApiKey(s.deps.db, "p", "read")).key;
    const other = (await createApiKey(s.deps.db, "p", "read")).key;
    for (let i = 0; i < 3; i++) assert.equal((await as(s, key, "/v1/runs")).status, 200);
    const limited = await as(s, key, "/v1/runs");
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal((await as(s, other, "/v1/runs")).status, 200, "the limit is per key");
  } finally {
    await s.close();
  }
});

Deno.test("auth is on by default and FIDSTREAM_AUTH=off is refused off loopback", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.equal(configFromEnv(env({})).service.auth, "on");
  assert.equal(configFromEnv(env({})).hostname, "0.0.0.0");
  const off = configFromEnv(env({ FIDSTREAM_AUTH: "off" }));
  assert.deepEqual([off.service.auth, off.hostname], ["off", "127.0.0.1"]);
  assert.throws(() => configFromEnv(env({ FIDSTREAM_AUTH: "off", HOST: "0.0.0.0" })), /loopback/);
  assert.throws(() => configFromEnv(env({ FIDSTREAM_AUTH: "maybe" })), /on.*off/);
});
