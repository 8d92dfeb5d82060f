/** The reader against checkpoints real torch.save wrote (see _real_checkpoints.ts for their sources). */
import assert from "node:assert/strict";
import {
  readTorchCheckpoint,
  readTorchStateDict,
  TorchTensor,
} from "../../../src/tensors/torch/checkpoint.ts";
import {
  decode,
  LEGACY_CONV_2X2,
  TORCH113_LEGACY_STATE_DICT,
  TORCH113_ZIP_STATE_DICT,
  ZIP_INT64_2X3,
} from "./_real_checkpoints.ts";

Deno.test("a real zip-format torch.save of an int64 [[1,2,3],[4,5,6]] tensor reads back exactly", () => {
  const t = readTorchCheckpoint(decode(ZIP_INT64_2X3));
  assert.ok(t instanceof TorchTensor);
  assert.equal(t.dtype, "int64");
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual([...t.data], [1n, 2n, 3n, 4n, 5n, 6n]);
});

Deno.test("a real legacy-format torch.save state dict reads back exactly", () => {
  const bytes = decode(LEGACY_CONV_2X2);
  assert.equal(bytes.length, 488);
  const sd = readTorchStateDict(bytes);
  assert.deepEqual([...sd.keys()], ["conv.weight", "conv.bias"]);
  assert.deepEqual(sd.get("conv.weight")!.shape, [2, 2]);
  assert.deepEqual([...sd.get("conv.weight")!.data], [1, 2, 3, 4]);
  assert.deepEqual(sd.get("conv.bias")!.shape, [2]);
  assert.deepEqual([...sd.get("conv.bias")!.data], [0.5, -0.5]);
});

for (
  const [format, b64] of [["zip", TORCH113_ZIP_STATE_DICT], ["legacy", TORCH113_LEGACY_STATE_DICT]] as const
) {
  Deno.test(`torch 1.13's ${format} format: a BasicConv2d state dict, strided views of one storage, float16, a 0-d int64`, () => {
    const sd = readTorchStateDict(decode(b64));
    const p = "Conv2d_1a_3x3";
    assert.deepEqual([...sd.keys()], [
      `${p}.conv.weight`,
      `${p}.bn.weight`,
      `${p}.bn.bias`,
      `${p}.bn.running_mean`,
      `${p}.bn.running_var`,
      `${p}.bn.num_batches_tracked`,
      "view.transposed",
      "view.rows_from_1",
      "half",
    ]);
    const w = sd.get(`${p}.conv.weight`)!;
    assert.equal(w.dtype, "float32");
    assert.deepEqual(w.shape, [2, 3, 3, 3]);
    assert.deepEqual([...w.data], Array.from({ length: 54 }, (_, i) => i / 8 - 3));
    assert.deepEqual([...sd.get(`${p}.bn.weight`)!.data], [1.5, 0.25]);
    assert.deepEqual([...sd.get(`${p}.bn.bias`)!.data], [-0.5, 2]);
    assert.deepEqual([...sd.get(`${p}.bn.running_mean`)!.data], [0.125, -1]);
    assert.deepEqual([...sd.get(`${p}.bn.running_var`)!.data], [4, 0.0625]);
    const steps = sd.get(`${p}.bn.num_batches_tracked`)!;
    assert.deepEqual([steps.dtype, steps.shape, [...steps.data]], ["int64", [], [7n]]);
    // base = arange(12).reshape(3, 4): base.t() read row-major is base's columns; base[1:] starts at offset 4.
    const t = sd.get("view.transposed")!;
    assert.deepEqual([t.dtype, t.shape], ["float64", [4, 3]]);
    assert.deepEqual([...t.data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    const rows = sd.get("view.rows_from_1")!;
    assert.deepEqual([rows.shape, [...rows.data]], [[2, 4], [4, 5, 6, 7, 8, 9, 10, 11]]);
    const half = sd.get("half")!;
    assert.deepEqual([half.dtype, [...half.data]], ["float16", [0.5, -2, 65504]]);
  });
}
