/**
 * Seeded fuzzing through HTTP: mutated .npy/.npz bodies POSTed to /v1/runs/:id/batches and /v1/references for a
 * bounded time. Every answer is a 200/201 or a 4xx (never a 5xx), and the stored counts agree exactly with what
 * was accepted: the run's n (and its finalized n) is the sum of the rows of the accepted batches, and one
 * reference exists per 201.
 */
import assert from "node:assert/strict";
import { parseNpy } from "../../../src/tensors/npy.ts";
import { encodeNpz } from "../../../src/tensors/npz.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import { postJson, postNpy, startTestService } from "../../_support/service.ts";
import { f32le, npyBytes } from "../../tensors/_fixtures.ts";
import { seededRandom } from "../../../tools/arrays.ts";

const D = 4;
const BUDGET_MS = 2500;
const HEADER_CHARS = "{}()[],:'\" 0123456789-TrueFalseLO<>|fiu48\n";

/** One to four random edits: bit flips, bytes, header characters, truncation, insertion, deletion, 0xff runs. */
function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  let b = src.slice();
  for (let r = 0, rounds = 1 + int(4); r < rounds; r++) {
    const at = b.length ? int(rand() < 0.7 ? Math.min(b.length, 128) : b.length) : 0;
    const op = int(7);
    if (op === 0 && b.length) b[at] ^= 1 << int(8);
    else if (op === 1 && b.length) b[at] = int(256);
    else if (op === 2 && b.length) b[at] = HEADER_CHARS.charCodeAt(int(HEADER_CHARS.length));
    else if (op === 3) b = b.slice(0, int(b.length + 1));
    else if (op === 4) {
      const ins = Uint8Array.from({ length: 1 + int(8) }, () => int(256));
      b = Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
    } else if (op === 5) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(8))]);
    else for (let k = 0; k < 4 && at + k < b.length; k++) b[at + k] = 0xff;
  }
  return b;
}

function rowsOf(body: Uint8Array): number {
  return parseNpy(body).shape[0];
}

testEachDatabase(
  "fuzzed uploads over HTTP: only 200/4xx, and the run's n is the sum of accepted batches",
  async (db) => {
    const s = await startTestService(db, { metricsDelayMs: 1, requestsPerMinute: 0 });
    try {
      const ref = await (await postNpy(s, "/v1/references?name=fuzz", npyOf(randomFeatures(40, D, 1), 40, D)))
        .json();
      const run =
        await (await postJson(s, "/v1/runs", { name: "fuzz", reference: ref.id, config: { kid: false } }))
          .json();
      const seeds = [
        npyOf(randomFeatures(3, D, 2), 3, D),
        npyOf(Float64Array.from(randomFeatures(2, D, 3)), 2, D),
        npyBytes(
          `{'descr': '<f4', 'fortran_order': True, 'shape': (2, ${D}), }`,
          f32le([1, 2, 3, 4, 5, 6, 7, 8]),
        ),
        npyBytes(`{'shape': (1, ${D}), 'fortran_order': False, 'descr': '<f4'}`, f32le([1, 2, 3, 4]), {
          major: 2,
        }),
      ];
      const rand = seededRandom(20261124);
      const statuses = new Map<number, number>();
      let expected = 0, accepted = 0, tries = 0;
      const start = performance.now();
      while (performance.now() - start < BUDGET_MS) {
        // One in ten is sent unmutated, so accepted batches interleave with refused ones whatever the mutants do.
        const seed = seeds[Math.floor(rand() * seeds.length)];
        const body = tries % 10 === 9 ? seed : mutate(seed, rand);
        const res = await postNpy(s, `/v1/runs/${run.id}/batches`, body, `fuzz-${tries++}`);
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(
          res.status === 200 || (res.status >= 400 && res.status < 500 && res.status !== 429),
          `${res.status} ${text}`,
        );
        if (res.status === 200) {
          expected += rowsOf(body);
          accepted++;
          assert.equal(JSON.parse(text).n, expected, "n after each accepted batch");
        }
      }
      // Enough must get through and enough be refused for the check to mean something.
      assert.ok(accepted >= 10 && tries - accepted > 100, `too weak: ${[...statuses]}`);
      assert.equal((await (await s.request(`/v1/runs/${run.id}`)).json()).n, expected);
      await s.deps.scheduler.idle();
      const final = await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" });
      assert.equal(final.status, 200, await final.clone().text());
      assert.equal((await final.json()).n, expected);
    } finally {
      await s.close();
    }
  },
);

testEachDatabase("fuzzed references over HTTP: only 201/4xx, one stored reference per 201", async (db) => {
  const s = await startTestService(db, { requestsPerMinute: 0 });
  try {
    const mu = { dtype: "float64" as const, shape: [D], data: Float64Array.of(1, 2, 3, 4) };
    const sigma = {
      dtype: "float64" as const,
      shape: [D, D],
      data: Float64Array.from({ length: D * D }, (_, i) => (i % (D + 1) ? 0.1 : 1)),
    };
    const seeds = [
      npyOf(randomFeatures(3, D, 2), 3, D),
      encodeNpz({ mu, sigma }),
      encodeNpz({ mu, sigma }, { compress: true }),
    ];
    const rand = seededRandom(7);
    let created = 0, tries = 0;
    const start = performance.now();
    while (performance.now() - start < BUDGET_MS) {
      const seed = seeds[Math.floor(rand() * seeds.length)];
      // Mutate the end of archives too: that is where the central directory lives.
      const body = tries % 10 === 9
        ? seed // one in ten unmutated, so some are stored whatever the mutants do
        : seed[0] === 0x50 && rand() < 0.5
        ? mutate(seed.slice().reverse(), rand).reverse()
        : mutate(seed, rand);
      const res = await s.request("/v1/references?name=fuzz", {
        method: "POST",
        body: body as BodyInit,
        headers: { "content-type": seed[0] === 0x50 ? "application/zip" : "application/x-npy" },
      });
      const text = await res.text();
      tries++;
      assert.ok(
        res.status === 201 || (res.status >= 400 && res.status < 500 && res.status !== 429),
        `${res.status} ${text}`,
      );
      if (res.status === 201) created++;
    }
    assert.ok(created > 10 && tries - created > 100, `created ${created} of ${tries}`);
    // Every stored reference, page by page.
    let listed = 0;
    let cursor: string | null = null;
    do {
      const list: Response = await s.request(`/v1/references?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      const page = await list.json();
      assert.equal(list.status, 200, JSON.stringify(page));
      listed += page.references.length;
      cursor = page.next_cursor;
    } while (cursor);
    assert.equal(listed, created);
  } finally {
    await s.close();
  }
});
