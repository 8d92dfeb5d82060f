/**
 * Feature-space names are checked against the registry's allow-list in the request thread: names that are
 * properties of every JavaScript object ("constructor", "__proto__", "toString") or outputs a space does not
 * have are a 422 naming the known ones, for image and feature references alike, and nothing is stored.
 */
import assert from "node:assert/strict";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { postNpy, testEachService } from "../../_support/service.ts";

testEachService("feature spaces outside the registry's allow-list are a 422 and store nothing", async (s) => {
  const images = new Uint8Array(4 * 28 * 28).map((_, i) => i % 255);
  const imageNpy = (await import("../../../src/tensors/npy.ts")).encodeNpy({
    dtype: "uint8",
    shape: [4, 28, 28],
    data: images,
  });
  const features = npyOf(randomFeatures(4, 128, 1), 4, 128);
  const bad = [
    "mnist-lenet:constructor",
    "mnist-lenet:toString",
    "mnist-lenet:__proto__",
    "mnist-lenet:hasOwnProperty",
    "fid-inception:-1",
    "fid-inception:1000",
    "constructor",
    "__proto__",
    "toString",
    "custom:",
    "custom:__proto__",
    "custom:../x",
    "custom:a b",
    "dinov2",
  ];
  for (const space of bad) {
    for (const [what, body] of [["images", imageNpy], ["features", features]] as const) {
      const res = await postNpy(s, `/v1/references?name=x&features=${encodeURIComponent(space)}`, body);
      const reply = await res.json();
      assert.equal(res.status, 422, `${space} (${what}): ${JSON.stringify(reply)}`);
      assert.match(reply.error.code, /^(unknown_output|unknown_feature_space|bad_feature_space)$/);
      assert.match(reply.error.message, /mnist-lenet|features|logits/, "names what is known");
      assert.match(reply.error.message, /dinov2-vitl14|features|logits/, "declared spaces too");
    }
  }
  assert.deepEqual((await (await s.request("/v1/references")).json()).references, []);
  // Valid outputs still work.
  const ok = await postNpy(s, "/v1/references?name=ok&features=mnist-lenet:logits", imageNpy);
  const created = await ok.json();
  assert.equal(ok.status, 201, JSON.stringify(created));
  assert.equal(created.dim, 10);
});
