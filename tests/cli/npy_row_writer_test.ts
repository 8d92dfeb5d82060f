import assert from "node:assert/strict";
import { npyFloat32Header, NpyRowWriter } from "../../cli/npy_row_writer.ts";
import { encodeNpy, parseNpy } from "../../src/tensors/npy.ts";

Deno.test("the streamed header is byte for byte the one encodeNpy writes, for small and huge shapes", () => {
  for (const shape of [[0, 3], [1, 1], [7, 2048], [123456789, 64]]) {
    const whole = encodeNpy({ dtype: "float32", shape: [0, ...shape.slice(1)], data: new Float32Array(0) });
    const header = npyFloat32Header(shape);
    assert.equal(header.length % 64, 0);
    // Same layout as a numpy header: magic, version 1.0, little-endian length, text padded to 64, newline.
    assert.deepEqual([...header.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    assert.equal(header[header.length - 1], 0x0a);
    assert.match(new TextDecoder().decode(header), new RegExp(`'shape': \\(${shape.join(", ")}\\), }`));
    if (shape[0] === 0) assert.deepEqual(header, whole);
  }
});

Deno.test("rows written in blocks read back as one N x D float32 .npy; the file appears only when complete", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/f.npy`;
    const w = new NpyRowWriter(path, 5);
    const rows = Float32Array.from({ length: 15 }, (_, i) => i * 0.5 - 3);
    await w.write({ n: 2, dim: 3, data: rows.slice(0, 6) });
    await assert.rejects(Deno.stat(path)); // still .partial
    await w.write({ n: 3, dim: 3, data: rows.slice(6) });
    await w.close();
    const back = parseNpy(await Deno.readFile(path));
    assert.deepEqual(back.shape, [5, 3]);
    assert.deepEqual([...back.data], [...rows]);
    assert.deepEqual(await Deno.readFile(path), encodeNpy({ dtype: "float32", shape: [5, 3], data: rows }));

    const short = new NpyRowWriter(`${dir}/g.npy`, 4);
    await short.write({ n: 1, dim: 2, data: new Float32Array(2) });
    await assert.rejects(short.write({ n: 1, dim: 3, data: new Float32Array(3) }), /changed dimension/);
    await assert.rejects(short.close(), /1 of the 4 announced rows/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["f.npy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
