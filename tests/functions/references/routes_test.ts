/** A stats .npz reference says how many samples made it only when told (`?n=`): otherwise n is null, never 0. */
import assert from "node:assert/strict";
import { encodeNpz } from "../../../src/tensors/npz.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { postJson, postNpy, testEachService } from "../../_support/service.ts";

const D = 3;

testEachService(
  "a stats reference's n is null unless ?n= gives it, in its view and in a run's final",
  async (s) => {
    const data = randomFeatures(40, D, 3);
    const { mu, cov } = naiveMeanCov(data, 40, D);
    const npz = encodeNpz({
      mu: { dtype: "float64", shape: [D], data: mu },
      sigma: { dtype: "float64", shape: [D, D], data: cov },
    }) as BodyInit;
    const post = (query: string) =>
      s.request(`/v1/references?name=stats${query}`, { method: "POST", body: npz });
    const unknown = await (await post("")).json();
    assert.equal(unknown.n, null, "mu and sigma do not say how many samples made them");
    assert.equal((await (await s.request(`/v1/references/${unknown.id}`)).json()).n, null);
    const told = await (await post("&n=40")).json();
    assert.equal(told.n, 40);
    const listed = (await (await s.request("/v1/references")).json()).references;
    assert.deepEqual(listed.map((r: { n: number | null }) => r.n).sort(), [40, null]);
    for (const bad of ["0", "1", "-3", "2.5", "many"]) {
      const res = await post(`&n=${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal((await res.json()).error.code, "bad_n");
    }

    const run = await (await postJson(s, "/v1/runs", { name: "r", reference: unknown.id })).json();
    await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(randomFeatures(20, D, 4), 20, D), "b");
    const final = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
    assert.deepEqual(final.reference, { id: unknown.id, n: null });
  },
);
