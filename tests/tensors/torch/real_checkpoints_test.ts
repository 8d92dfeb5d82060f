/** The reader against checkpoints real torch.save wrote (see _real_checkpoints.ts for their sources). */
import assert from "node:assert/strict";
import {
  readTorchCheckpoint,
  readTorchStateDict,
  TorchTensor,
} from "../../../src/tensors/torch/checkpoint.ts";
import { decode, LEGACY_CONV_2X2, ZIP_INT64_2X3 } from "./_real_checkpoints.ts";

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
