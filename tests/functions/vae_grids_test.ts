/** Seeded PNG grids from an uploaded decoder: identical bytes for the same request, a smooth traversal, the gallery. */
import assert from "node:assert/strict";
import { grid, newRun, withService } from "../_support/vae_service.ts";
import { committedModel, l2, readPng, tile, uploadModel, zipOf } from "../_support/vae.ts";
import { testEachDatabase } from "../_support/databases.ts";
testEachDatabase(
  "an uploaded decoder draws seeded grids: same request, same PNG bytes; a smooth traversal",
  async (db) => {
    await withService(db, async (s) => {
      const runA = await newRun(s), runB = await newRun(s);
      const up = await uploadModel(s, runA, "decoder", zipOf(committedModel("decoder"), "decoder/"));
      const info = await up.json();
      assert.equal(up.status, 201, JSON.stringify(info));
      assert.deepEqual([info.role, info.format, info.latent_dim, info.image_shape], [
        "decoder",
        "layers-model",
        8,
        [28, 28, 1],
      ]);
      assert.equal((await uploadModel(s, runB, "decoder", zipOf(committedModel("decoder")))).status, 201);

      // 64 prior samples, 8 x 8 tiles of 28 px with 2 px borders.
      const a = await grid(s, runA, { kind: "samples", n: 64, seed: 1 });
      assert.equal(a.status, 201);
      const png = readPng(a.bytes);
      assert.deepEqual([png.width, png.height, png.channels], [8 * 30 + 2, 8 * 30 + 2, 1]);
      // Not blank: the tiles differ from one another.
      assert.ok(l2(tile(png, 0, 0), tile(png, 0, 1)) > 100);
      // The same request again: the stored image (200); the same request on another run: drawn afresh, same bytes.
      const again = await grid(s, runA, { kind: "samples", seed: 1, n: 64 });
      assert.equal(again.status, 200);
      assert.equal(again.json.id, a.json.id);
      const fresh = await grid(s, runB, { kind: "samples", n: 64, seed: 1 });
      assert.equal(fresh.status, 201);
      assert.notEqual(fresh.json.id, a.json.id);
      assert.deepEqual(fresh.bytes, a.bytes);
      // Another seed draws other samples.
      const other = await grid(s, runA, { kind: "samples", n: 64, seed: 2 });
      assert.notDeepEqual(other.bytes, a.bytes);

      // Traversal: every step is smaller than the distance between the end frames.
      const t = await grid(s, runA, { kind: "traversal", steps: 10, seed: 3 });
      const tp = readPng(t.bytes);
      assert.deepEqual([tp.width, tp.height], [10 * 30 + 2, 30 + 2]);
      const frames = Array.from({ length: 10 }, (_, i) => tile(tp, 0, i));
      const ends = l2(frames[0], frames[9]);
      assert.ok(ends > 300, `end frames differ by ${ends}`);
      for (let i = 0; i < 9; i++) {
        const step = l2(frames[i], frames[i + 1]);
        assert.ok(step < ends, `step ${i} moved ${step}, the ends are ${ends} apart`);
        assert.ok(step < ends / 2, `step ${i} moved ${step}: not smooth (ends ${ends})`);
      }

      const list = await (await s.request(`/v1/runs/${runA}/images`)).json();
      assert.deepEqual(list.images.map((i: { kind: string }) => i.kind).sort(), [
        "samples",
        "samples",
        "traversal",
      ]);
      for (const i of list.images) {
        assert.equal(typeof i.caption, "string");
        assert.match(i.url, new RegExp(`^/v1/runs/${runA}/images/`));
        assert.ok(!Number.isNaN(Date.parse(i.created_at)));
      }
      assert.equal((await s.request(`/v1/runs/${runA}/images/nope`)).status, 404);
      assert.equal((await s.request(`/v1/runs/${runB}/images/${a.json.id}`)).status, 404);
    });
  },
);
