/**
 * The GPU host's queue on the real WGSL engine (a 75x75 network on this machine's WebGPU adapter): concurrent
 * requests share forwards, a request bigger than a forward is split, every request gets its own rows, and a
 * failed forward fails only the requests it carried.
 */
import assert from "node:assert/strict";
import { GpuBatchQueue } from "../../../functions/gpu_host/batch_queue.ts";
import { WgslInceptionNetwork } from "../../../models/fid-inception/wgsl/network.ts";
import { WgslFidInceptionExtractor } from "../../../models/fid-inception/wgsl/extractor.ts";
import type { PixelBatch } from "../../../src/features/pixel_batch.ts";
import { seededRandom } from "../../../tools/arrays.ts";
import { randomWeights } from "../../../tools/fid_inception_reference.ts";
import { gpuTest } from "../../models/fid-inception/wgsl/_gpu.ts";

const WEIGHTS = randomWeights(77);

function u8Images(n: number, h: number, w: number, seed: number): PixelBatch {
  const r = seededRandom(seed);
  const data = Uint8Array.from({ length: n * h * w * 3 }, () => Math.floor(256 * r()));
  return { n, height: h, width: w, channels: 3, layout: "NHWC", data };
}

Deno.test(gpuTest("concurrent requests share forwards and each gets its own rows", async (gpu) => {
  const net = await WgslInceptionNetwork.create(WEIGHTS, { gpu, inputSize: 75, capacity: 8 });
  const alone = new WgslFidInceptionExtractor(net);
  try {
    const queue = new GpuBatchQueue(net, { maxBatch: 8, depth: 2 });
    const requests = [
      u8Images(3, 20, 30, 1),
      u8Images(2, 75, 75, 2),
      u8Images(4, 40, 40, 3),
      u8Images(11, 9, 9, 4),
    ];
    const outputs = ["2048", "64", "logits", "768"];
    // Submitted together: the first two start forwards at once, the others wait and then share forwards.
    const got = await Promise.all(requests.map((p, i) => queue.extract(p, outputs[i])));
    const stats = queue.stats();
    assert.equal(stats.images, 20);
    assert.ok(stats.largestForward === 8, `forwards were filled to the batch (${stats.largestForward})`);
    assert.ok(stats.forwards <= 4, `${stats.forwards} forwards for 4 requests of 20 images`);
    assert.deepEqual([stats.queuedImages, stats.inFlightImages], [0, 0]);
    for (const [i, p] of requests.entries()) {
      const want = (await alone.extractPixels(p, [outputs[i]]))[outputs[i] as "2048"]!;
      assert.deepEqual([got[i].n, got[i].dim], [want.n, want.dim]);
      let diff = 0;
      for (let j = 0; j < want.data.length; j++) {
        diff = Math.max(diff, Math.abs(got[i].data[j] - want.data[j]));
      }
      assert.ok(diff < 1e-5, `request ${i} (${outputs[i]}): max diff ${diff}`);
    }
  } finally {
    net.dispose();
  }
}));

Deno.test("a failed forward fails the requests it carried and the queue goes on", async () => {
  let calls = 0;
  const engine = {
    maxBindingBytes: 1 << 30,
    maxImagesPerForward: () => 4,
    forward(segments: readonly PixelBatch[]) {
      calls++;
      const n = segments.reduce((s, p) => s + p.n, 0);
      if (calls === 2) return Promise.reject(new Error("device lost"));
      return Promise.resolve({ features: new Float32Array(n * 3072).fill(calls), logits: null });
    },
  };
  const queue = new GpuBatchQueue(engine, { depth: 1 });
  const first = queue.extract(u8Images(1, 4, 4, 0), "64");
  // While the first forward runs, a and b queue; the next forward takes a and 2 of b's 3 images, and fails.
  const a = queue.extract(u8Images(2, 4, 4, 1), "64");
  const b = queue.extract(u8Images(3, 4, 4, 2), "64");
  assert.equal((await first).data[0], 1);
  await assert.rejects(a, /device lost/);
  await assert.rejects(b, /device lost/);
  assert.equal(calls, 2, "b's last image, queued behind the failed forward, was dropped, not run");
  const c = await queue.extract(u8Images(1, 4, 4, 3), "64");
  assert.equal(c.data[0], calls, "later requests run");
  assert.deepEqual([queue.stats().queuedImages, queue.stats().inFlightImages], [0, 0]);
  await assert.rejects(queue.extract(u8Images(1, 4, 4, 3), "999"), /unknown fid-inception output/);
});
