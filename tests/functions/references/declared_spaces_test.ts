/**
 * References in declared feature spaces over HTTP: the name fixes the dimension (a batch or statistics file of
 * another D is a 422 naming the space, and nothing is stored), images are refused there, a run must live in its
 * reference's space, and the reference view names the space's distance.
 */
import assert from "node:assert/strict";
import { encodeNpy } from "../../../src/tensors/npy.ts";
import { encodeNpz } from "../../../src/tensors/npz.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { postJson, postNpy, testEachService } from "../../_support/service.ts";

testEachService("a declared space fixes D: other dimensions and images are a 422 naming it", async (s) => {
  const refs = async () => (await (await s.request("/v1/references")).json()).references;
  const wrong = await postNpy(
    s,
    "/v1/references?name=d&features=dinov2-vitl14",
    npyOf(randomFeatures(3, 512, 1), 3, 512),
  );
  assert.equal(wrong.status, 422);
  const err = (await wrong.json()).error;
  assert.equal(err.code, "feature_dim_mismatch");
  assert.match(err.message, /D = 512.*dinov2-vitl14.*D = 1024/);
  const stats = encodeNpz({
    mu: { dtype: "float64", shape: [4], data: new Float64Array(4) },
    sigma: { dtype: "float64", shape: [4, 4], data: naiveMeanCov(randomFeatures(9, 4, 2), 9, 4).cov },
  });
  const wrongStats = await s.request("/v1/references?name=d&features=clip-vitl14-336", {
    method: "POST",
    body: stats as BodyInit,
  });
  assert.equal(wrongStats.status, 422);
  assert.match((await wrongStats.json()).error.message, /clip-vitl14-336.*D = 768/);
  const images = encodeNpy({ dtype: "uint8", shape: [2, 28, 28], data: new Uint8Array(2 * 784) });
  const imageRef = await postNpy(s, "/v1/references?name=d&features=inception-2048", images);
  assert.equal(imageRef.status, 422);
  const imageErr = (await imageRef.json()).error;
  assert.equal(imageErr.code, "images_in_declared_space");
  assert.match(imageErr.message, /inception-2048.*mnist-lenet/);
  assert.deepEqual(await refs(), [], "nothing stored");

  const ok = await postNpy(
    s,
    "/v1/references?name=d&features=dinov2-vitl14",
    npyOf(randomFeatures(3, 1024, 3), 3, 1024),
  );
  const ref = await ok.json();
  assert.equal(ok.status, 201, JSON.stringify(ref));
  assert.deepEqual([ref.features, ref.distance, ref.dim, ref.n], ["dinov2-vitl14", "FD_DINOv2", 1024, 3]);
  const narrow = await postNpy(
    s,
    `/v1/references/${ref.id}/batches`,
    npyOf(randomFeatures(2, 768, 4), 2, 768),
    "k",
  );
  assert.equal(narrow.status, 422);
  assert.match((await narrow.json()).error.message, /dinov2-vitl14/);

  const other = await postJson(s, "/v1/runs", {
    name: "r",
    reference: ref.id,
    features: "clip-vitl14-336",
  });
  assert.equal(other.status, 422);
  assert.equal((await other.json()).error.code, "feature_space_mismatch");
  const run =
    await (await postJson(s, "/v1/runs", { name: "r", reference: ref.id, features: "dinov2-vitl14" }))
      .json();
  const batch = await postNpy(
    s,
    `/v1/runs/${run.id}/batches`,
    npyOf(randomFeatures(2, 1000, 5), 2, 1000),
    "b",
  );
  assert.equal(batch.status, 422);
  assert.match((await batch.json()).error.message, /D = 1000.*dinov2-vitl14/);
  const imageBatch = await postNpy(s, `/v1/runs/${run.id}/batches`, images, "i");
  assert.equal((await imageBatch.json()).error.code, "images_in_declared_space");
  const fine = await postNpy(
    s,
    `/v1/runs/${run.id}/batches`,
    npyOf(randomFeatures(2, 1024, 6), 2, 1024),
    "f",
  );
  assert.equal(fine.status, 200);
  assert.equal((await (await s.request(`/v1/runs/${run.id}`)).json()).n, 2);

  const custom = await (await postNpy(
    s,
    "/v1/references?name=c&features=custom:my-encoder/v2",
    npyOf(randomFeatures(4, 5, 7), 4, 5),
  ))
    .json();
  assert.deepEqual([custom.features, custom.distance, custom.dim], ["custom:my-encoder/v2", "FD", 5]);
  const plain = await (await postNpy(s, "/v1/references?name=p", npyOf(randomFeatures(4, 5, 8), 4, 5)))
    .json();
  assert.deepEqual([plain.features, plain.distance], [null, "FID"]);
});
