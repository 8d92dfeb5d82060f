import assert from "node:assert/strict";
import { FidstreamError } from "../../../src/errors.ts";
import { PARAMETER_SHAPES } from "../../../models/mnist-lenet/network.ts";
import {
  decodeWeights,
  encodeWeights,
  readCommittedWeights,
  WEIGHTS_DIR,
} from "../../../models/mnist-lenet/weights_file.ts";

function fakeTensors() {
  let k = 0;
  return Object.fromEntries(
    Object.entries(PARAMETER_SHAPES).map(([name, shape]) => {
      const data = Float32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => Math.fround(Math.sin(k++)),
      );
      return [name, { shape, data }];
    }),
  );
}

Deno.test("weights round-trip through the manifest and little-endian float32 bytes", () => {
  const tensors = fakeTensors();
  const { manifest, bin } = encodeWeights(tensors, { seed: 1 });
  assert.equal(bin.length, 80_202 * 4);
  // Bytes 0..3 are conv1_w[0] = sin(0) = 0; bytes 4..7 are sin(1) as little-endian float32.
  assert.deepEqual([...bin.subarray(4, 8)], [...new Uint8Array(Float32Array.of(Math.sin(1)).buffer)]);
  const back = decodeWeights(JSON.parse(JSON.stringify(manifest)), bin);
  for (const name of Object.keys(PARAMETER_SHAPES)) assert.deepEqual(back[name], tensors[name]);
});

Deno.test("a weights file whose size or tensor list disagrees with the manifest is refused", () => {
  const { manifest, bin } = encodeWeights(fakeTensors(), {});
  assert.throws(() => decodeWeights(manifest, bin.subarray(0, bin.length - 4)), FidstreamError);
  const missing = { ...manifest, tensors: manifest.tensors.filter((t) => t.name !== "fc1_b") };
  assert.throws(() => decodeWeights(missing, bin), /fc1_b/);
});

Deno.test("the committed weights load, are a few hundred KB and record their held-out accuracy", async () => {
  const { manifest, tensors } = await readCommittedWeights();
  const size = (await Deno.stat(new URL(manifest.file, WEIGHTS_DIR))).size;
  assert.equal(size, manifest.bytes);
  assert.ok(size < 400_000, `${size} bytes`);
  assert.ok(Object.values(tensors).every((t) => t.data.every(Number.isFinite)));
  assert.ok(Number(manifest.training.held_out_accuracy) >= 0.95);
});
