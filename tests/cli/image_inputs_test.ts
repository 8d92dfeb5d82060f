import assert from "node:assert/strict";
import { listImageFiles, openImageSource } from "../../cli/image_inputs.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";
import { encodeNpy } from "../../src/tensors/npy.ts";
import { type TestImage, writePng } from "./_images.ts";

async function collect(chunks: AsyncIterable<ImageBatch>): Promise<ImageBatch[]> {
  const out: ImageBatch[] = [];
  for await (const c of chunks) out.push({ ...c, data: c.data.slice() });
  return out;
}

/** A gray image whose every pixel is `value`. */
function flat(width: number, height: number, value: number): TestImage {
  return { width, height, channels: 1, pixels: new Uint8Array(width * height).fill(value) };
}

Deno.test("a folder is read in name order, in chunks cut at the size limit and wherever the image size changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Written out of order; sizes: 4x4 x3, 5x3, 4x4 x2.
    const files: [string, TestImage][] = [
      ["f.png", flat(4, 4, 60)],
      ["a.png", flat(4, 4, 10)],
      ["c.png", flat(4, 4, 30)],
      ["b.png", flat(4, 4, 20)],
      ["d.png", flat(5, 3, 40)],
      ["e.png", flat(4, 4, 50)],
    ];
    for (const [name, img] of files) await writePng(`${dir}/${name}`, img);
    await Deno.writeFile(`${dir}/z.bmp`, new Uint8Array(4));
    await Deno.mkdir(`${dir}/sub.png`); // a folder named like an image is not one
    const listed = await listImageFiles(dir);
    assert.deepEqual(listed.files.map((f) => f.split("/").pop()), [
      "a.png",
      "b.png",
      "c.png",
      "d.png",
      "e.png",
      "f.png",
    ]);
    assert.deepEqual(listed.skipped.map((f) => f.split("/").pop()), ["z.bmp"]);

    const source = await openImageSource(dir);
    assert.deepEqual([source.kind, source.count], ["folder", 6]);
    const chunks = await collect(source.chunks(2));
    assert.deepEqual(chunks.map((c) => [c.n, c.width, c.height]), [[2, 4, 4], [1, 4, 4], [1, 5, 3], [
      2,
      4,
      4,
    ]]);
    // First pixel of every image, in order: 10, 20, ... 60 (over 255).
    const firsts = chunks.flatMap((c) =>
      Array.from({ length: c.n }, (_, i) => c.data[i * c.width * c.height])
    );
    assert.deepEqual(firsts.map((v) => Math.round(v * 255)), [10, 20, 30, 40, 50, 60]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an .npy image array (NCHW float) is read in chunks of NHWC images; 2-D arrays and bad values are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 3 RGB images of 2 x 2, NCHW; value = (image*100 + channel*10 + pixel) / 1000.
    const data = new Float32Array(3 * 3 * 4);
    for (let i = 0; i < 3; i++) {
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 4; p++) data[(i * 3 + c) * 4 + p] = (i * 100 + c * 10 + p) / 1000;
      }
    }
    await Deno.writeFile(`${dir}/x.npy`, encodeNpy({ dtype: "float32", shape: [3, 3, 2, 2], data }));
    const source = await openImageSource(`${dir}/x.npy`);
    assert.deepEqual([source.kind, source.count], ["npy", 3]);
    const chunks = await collect(source.chunks(2));
    assert.deepEqual(chunks.map((c) => [c.n, c.height, c.width, c.channels]), [[2, 2, 2, 3], [1, 2, 2, 3]]);
    // Image 2, pixel 3, channel 1 in NHWC.
    assert.ok(Math.abs(chunks[1].data[3 * 3 + 1] - 213 / 1000) < 1e-7);

    await Deno.writeFile(
      `${dir}/f.npy`,
      encodeNpy({ dtype: "float32", shape: [2, 5], data: new Float32Array(10) }),
    );
    await assert.rejects(openImageSource(`${dir}/f.npy`), /2-D array .* features/);
    const bad = Float32Array.from({ length: 8 }, (_, i) => (i === 6 ? 3 : 0.5));
    await Deno.writeFile(`${dir}/b.npy`, encodeNpy({ dtype: "float32", shape: [2, 2, 2], data: bad }));
    await assert.rejects(
      collect((await openImageSource(`${dir}/b.npy`)).chunks(1)),
      /b\.npy \(images 1\.\.1\).*\[0, 1\]/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
