/**
 * Free text a user gives (reference and run names, tags, config, idempotency keys): unicode and SQL-looking text
 * is stored and returned verbatim; text the database cannot hold (NUL, unpaired surrogates, control characters)
 * and oversized JSON bodies are a clear 4xx that stores nothing -- on PGlite and on PostgreSQL.
 */
import assert from "node:assert/strict";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { postJson, postNpy, testEachService, type TestService } from "../../_support/service.ts";

const D = 3;

/** Names that would break a query built by string concatenation, or a naive unicode handling. */
const NAMES = [
  "x'); drop table runs; --",
  "\"; delete from batches where ''='",
  "' or 1=1 --",
  "$1 $$ %s %d {{name}} ${x} `id`",
  "back\\slash \\' \\\" \\\\",
  "<script>alert(1)</script>",
  "über-straße ÆØÅ",
  "数据集 データ 데이터",
  "مرحبا بالعالم עברית", // right to left
  "e\u0301 a\u0308 \u0915\u094d\u0937", // combining marks
  "👩‍👩‍👧‍👦 🏳️‍🌈 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", // ZWJ sequences, astral plane
  "zero\u200bwidth\u2060joiner\ufeffbom",
  "x".repeat(200),
  "🙂".repeat(100), // 200 UTF-16 units
];

async function json(res: Response, status: number) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text);
}

async function reference(s: TestService, name: string) {
  const body = npyOf(randomFeatures(5, D, 1), 5, D);
  return await json(await postNpy(s, `/v1/references?name=${encodeURIComponent(name)}`, body), 201);
}

testEachService(
  "unicode and SQL-looking names, tags, config and keys are stored and returned verbatim",
  async (s) => {
    for (const name of NAMES) {
      const ref = await reference(s, name);
      assert.equal(ref.name, name);
      assert.equal((await json(await s.request(`/v1/references/${ref.id}`), 200)).name, name);
      const config = { [name]: name, nested: [name, { k: name }], kid: false };
      const run = await json(
        await postJson(s, "/v1/runs", { name, reference: ref.id, tags: [name, "ok"], config }),
        201,
      );
      const got = await json(await s.request(`/v1/runs/${run.id}`), 200);
      assert.deepEqual([got.name, got.tags, got.config], [name, [name, "ok"], config]);
      // The idempotency key is any header-safe text, SQL included; the retry replays.
      const key = `k'); drop table batches; -- ${name.length}`;
      const body = npyOf(randomFeatures(2, D, 2), 2, D);
      const first = await json(await postNpy(s, `/v1/runs/${run.id}/batches`, body, key), 200);
      const again = await json(await postNpy(s, `/v1/runs/${run.id}/batches`, body, key), 200);
      assert.deepEqual([again.batch, again.n, again.replayed], [first.batch, 2, true]);
    }
    const listed = await json(await s.request("/v1/runs"), 200);
    assert.deepEqual(listed.runs.map((r: { name: string }) => r.name).sort(), [...NAMES].sort());
    const refs = await json(await s.request("/v1/references"), 200);
    assert.deepEqual(refs.references.map((r: { name: string }) => r.name).sort(), [...NAMES].sort());
  },
);

testEachService(
  "text the database cannot store and oversized JSON are a 4xx that stores nothing",
  async (s) => {
    const ref = await reference(s, "ok");
    const raw = (body: string | ReadableStream<Uint8Array>) =>
      s.request("/v1/runs", { method: "POST", body, headers: { "content-type": "application/json" } });
    const run = (fields: string) => raw(`{"name":"r","reference":"${ref.id}",${fields}}`);
    const refused: [string, Response, number, string][] = [
      ["NUL in name", await run(`"name":"a\\u0000b"`), 400, "name_control_characters"],
      ["unpaired surrogate in name", await run(`"name":"a\\ud800b"`), 400, "name_invalid_unicode"],
      ["unpaired low surrogate in a tag", await run(`"tags":["\\udfff"]`), 400, "name_invalid_unicode"],
      ["control character in a tag", await run(`"tags":["a\\u001bb"]`), 400, "name_control_characters"],
      ["NUL in a config value", await run(`"config":{"note":"a\\u0000b"}`), 400, "unstorable_text"],
      ["NUL in a config key", await run(`"config":{"a\\u0000":1}`), 400, "unstorable_text"],
      [
        "unpaired surrogate deep in config",
        await run(`"config":{"a":[{"b":["\\ud83d"]}]}`),
        400,
        "unstorable_text",
      ],
      ["name over 200 characters", await run(`"name":"${"x".repeat(201)}"`), 400, "name_too_long"],
      ["JSON that is an array", await raw("[1,2]"), 400, "invalid_json"],
      ["JSON nested 100000 deep", await raw("[".repeat(100_000)), 422, "json_too_deep"],
      ["2 MiB JSON body", await run(`"config":{"pad":"${"x".repeat(2 << 20)}"}`), 413, "body_too_large"],
      [
        "2 MiB streamed JSON body (no Content-Length)",
        await raw(
          new ReadableStream({
            start(ctl) {
              for (let i = 0; i < 32; i++) ctl.enqueue(new TextEncoder().encode(" ".repeat(64 << 10)));
              ctl.enqueue(new TextEncoder().encode(`{"name":"r","reference":"${ref.id}"}`));
              ctl.close();
            },
          }),
        ),
        413,
        "body_too_large",
      ],
      [
        "reference name with NUL",
        await postNpy(s, "/v1/references?name=a%00b", npyOf(randomFeatures(5, D, 1), 5, D)),
        400,
        "name_control_characters",
      ],
      [
        "reference name with an unpaired surrogate",
        await postNpy(
          s,
          `/v1/references?name=${encodeURIComponent("a")}%ED%A0%80`,
          npyOf(randomFeatures(5, D, 1), 5, D),
        ),
        201,
        "",
      ],
    ];
    for (const [what, res, status, code] of refused) {
      const body = await res.json();
      assert.equal(res.status, status, `${what}: ${JSON.stringify(body)}`);
      if (code) assert.equal(body.error.code, code, what);
    }
    // Nothing was created by the refused requests (the %ED%A0%80 name is not UTF-8: it stays as sent, escaped).
    assert.deepEqual((await json(await s.request("/v1/runs"), 200)).runs, []);
    const names = (await json(await s.request("/v1/references"), 200)).references.map((
      r: { name: string },
    ) => r.name);
    assert.deepEqual(names.sort(), ["a%ED%A0%80", "ok"]);
  },
);
