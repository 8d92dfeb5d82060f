/** Generate requests: validation, chunking, and keys that name every input of the samples. */
import assert from "node:assert/strict";
import {
  generateChunkDescriptor,
  generateChunkKey,
  generateChunks,
  parseGenerateSpec,
} from "../../src/vae/generate_request.ts";

Deno.test("generate requests take n (required), seed, features and chunk", () => {
  assert.deepEqual(parseGenerateSpec({ n: 1000, seed: 1 }), {
    n: 1000,
    seed: 1,
    features: undefined,
    chunk: 500,
  });
  assert.equal(parseGenerateSpec({ n: 5, features: "fid-inception:2048" }).features, "fid-inception:2048");
  for (
    const raw of [{}, { n: 0 }, { n: 100_001 }, { n: 5, seed: -1 }, { n: 5, chunk: 0 }, {
      n: 5,
      features: "a b",
    }, { n: 5, extra: 1 }]
  ) {
    assert.throws(() => parseGenerateSpec(raw), { name: "InvalidInputError" }, JSON.stringify(raw));
  }
});

Deno.test("chunks cover 0..n in order; keys and descriptors differ in every input", () => {
  const spec = parseGenerateSpec({ n: 1001, seed: 1, chunk: 400 });
  assert.deepEqual(generateChunks(spec), [[0, 400], [400, 800], [800, 1001]]);
  const sha = "ab".repeat(32);
  assert.equal(
    generateChunkKey(spec, 2, "mnist-lenet", sha),
    `generate:1:1001:2:400:mnist-lenet:${"ab".repeat(8)}`,
  );
  const keys = new Set([
    generateChunkKey(spec, 0, "mnist-lenet", sha),
    generateChunkKey(spec, 1, "mnist-lenet", sha),
    generateChunkKey(spec, 0, "other", sha),
    generateChunkKey(spec, 0, "mnist-lenet", "cd".repeat(32)),
    generateChunkKey(parseGenerateSpec({ n: 1001, seed: 2, chunk: 400 }), 0, "mnist-lenet", sha),
    generateChunkKey(parseGenerateSpec({ n: 1000, seed: 1, chunk: 400 }), 0, "mnist-lenet", sha),
    generateChunkKey(parseGenerateSpec({ n: 1001, seed: 1, chunk: 500 }), 0, "mnist-lenet", sha),
  ]);
  assert.equal(keys.size, 7);
  assert.ok(generateChunkDescriptor(spec, 0, "mnist-lenet", sha).includes(sha));
});
