/**
 * List endpoints are paged: `?limit` and `?cursor` walk every run and reference exactly once, newest first, even
 * when rows share a millisecond; run configs are left out unless asked (`?include=config`).
 */
import assert from "node:assert/strict";
import { npyOf, randomFeatures } from "../../tools/arrays.ts";
import { postJson, postNpy, testEachService, type TestService } from "../_support/service.ts";

async function walk(s: TestService, path: string, key: string, limit: number) {
  const seen: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const res = await s.request(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(res.status, 200);
    const page = await res.json();
    assert.ok(page[key].length <= limit);
    seen.push(...page[key]);
    cursor = page.next_cursor;
    pages++;
  } while (cursor);
  return { seen, pages };
}

testEachService("runs and references page through every row once, newest first", async (s) => {
  const refs: string[] = [];
  for (let i = 0; i < 5; i++) {
    refs.push(
      (await (await postNpy(s, `/v1/references?name=r${i}`, npyOf(randomFeatures(4, 3, i), 4, 3))).json())
        .id,
    );
  }
  // Created concurrently: several share a millisecond, which a millisecond cursor would skip or repeat.
  const created = await Promise.all(
    Array.from(
      { length: 23 },
      async (_, i) =>
        (await (await postJson(s, "/v1/runs", { name: `run ${i}`, reference: refs[i % 5], config: { i } }))
          .json())
          .id as string,
    ),
  );
  const { seen, pages } = await walk(s, "/v1/runs", "runs", 4);
  assert.equal(pages, 6);
  assert.deepEqual(seen.map((r) => r.id).sort(), [...created].sort(), "every run exactly once");
  const times = seen.map((r) => Date.parse(r.created_at as string));
  assert.ok(times.every((t, i) => i === 0 || times[i - 1] >= t), "newest first");
  assert.ok(seen.every((r) => !("config" in r)), "no configs in a listing by default");
  const withConfig = await (await s.request("/v1/runs?limit=1000&include=config")).json();
  assert.equal(withConfig.runs.length, 23);
  assert.ok(withConfig.runs.every((r: { config: { i: number } }) => typeof r.config.i === "number"));
  assert.equal(withConfig.next_cursor, null);
  const refPages = await walk(s, "/v1/references", "references", 2);
  assert.deepEqual(refPages.seen.map((r) => r.id), [...refs].reverse());
  for (
    const bad of [
      "limit=0",
      "limit=1001",
      "limit=abc",
      "cursor=nope",
      "cursor=WyIxIl0",
      "include=everything",
    ]
  ) {
    const res = await s.request(`/v1/runs?${bad}`);
    assert.equal(res.status, 400, bad);
    assert.match((await res.json()).error.code, /^bad_/);
  }
});
