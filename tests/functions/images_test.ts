/**
 * Image uploads: multipart PNGs and .npy image arrays are extracted in the reference's feature space (the shipped
 * mnist-lenet) by the worker pool, and accumulate exactly the statistics of the same images' features uploaded directly.
 */
import assert from "node:assert/strict";
import { ExtractorPool } from "../../models/runtime/worker_pool.ts";
import { localFeatureService } from "../../engine/pipeline/feature_service.ts";
import { DIGIT_PIXELS } from "../../models/mnist-lenet/digits.ts";
import { encodeNpy } from "../../src/tensors/npy.ts";
import { npyOf } from "../../tools/arrays.ts";
import { testEachDatabase } from "../_support/databases.ts";
import { digitImages, digitsMultipart, digitsNpy } from "../_support/digits.ts";
import { postJson, postNpy, startTestService } from "../_support/service.ts";

testEachDatabase(
  "image batches (PNG multipart, .npy arrays) give the statistics of their features uploaded directly",
  async (db) => {
    const pool = new ExtractorPool({ workers: 1 });
    const s = await startTestService(db, {}, { features: localFeatureService(() => pool) });
    try {
      const refRes = await postNpy(
        s,
        "/v1/references?name=digits&features=mnist-lenet",
        digitsNpy(digitImages(300)),
      );
      assert.equal(refRes.status, 201, await refRes.clone().text());
      const ref = await refRes.json();
      assert.equal(ref.features, "mnist-lenet");
      assert.equal(ref.n, 300);

      const a = digitImages(40, 5), b = digitImages(30, 11);
      const viaImages =
        await (await postJson(s, "/v1/runs", { name: "images", reference: ref.id, features: "mnist-lenet" }))
          .json();
      const png = await s.request(`/v1/runs/${viaImages.id}/batches`, {
        method: "POST",
        body: digitsMultipart(a),
        headers: { "idempotency-key": "png" },
      });
      assert.equal(png.status, 200, await png.clone().text());
      // The same kind of array in NCHW float [0, 1]: N x 1 x 28 x 28.
      const nchw = encodeNpy({
        dtype: "float32",
        shape: [30, 1, 28, 28],
        data: Float32Array.from(b, (v) => v / 255),
      });
      const arr = await postNpy(s, `/v1/runs/${viaImages.id}/batches?layout=NCHW`, nchw, "npy");
      assert.equal((await arr.json()).n, 70);
      const retry = await s.request(`/v1/runs/${viaImages.id}/batches`, {
        method: "POST",
        body: digitsMultipart(a),
        headers: { "idempotency-key": "png" },
      });
      assert.equal(
        (await retry.json()).replayed,
        true,
        "a retried image batch replays without extracting again",
      );

      // The same images' features, extracted here and uploaded as features.
      const features = await pool.extract("mnist-lenet", {
        n: 70,
        height: 28,
        width: 28,
        channels: 1,
        data: Float32Array.from([...a, ...b], (v) => v / 255),
      });
      assert.equal(features.dim, ref.dim);
      const viaFeatures = await (await postJson(s, "/v1/runs", { name: "features", reference: ref.id }))
        .json();
      await postNpy(s, `/v1/runs/${viaFeatures.id}/batches`, npyOf(features.data, 70, features.dim), "f");

      // The gallery holds one grid of the newest image batch (30 digits), as a PNG.
      const gallery = (await (await s.request(`/v1/runs/${viaImages.id}/images`)).json()).images;
      const uploads = gallery.filter((i: { kind: string }) => i.kind === "uploads");
      assert.equal(uploads.length, 1, "only the latest upload grid is kept");
      assert.match(uploads[0].caption, /30 of 30 images/);
      const gridRes = await s.request(uploads[0].url);
      assert.equal(gridRes.headers.get("content-type"), "image/png");
      const { decode } = await import("fast-png");
      const decoded = decode(new Uint8Array(await gridRes.arrayBuffer()));
      assert.deepEqual([decoded.width, decoded.height], [uploads[0].width, uploads[0].height]);
      assert.ok(decoded.width >= 6 * 28, "a grid of 6 x 5 digits");

      const f1 = await (await s.request(`/v1/runs/${viaImages.id}/finalize`, { method: "POST" })).json();
      const f2 = await (await s.request(`/v1/runs/${viaFeatures.id}/finalize`, { method: "POST" })).json();
      assert.equal(f1.n, 70);
      assert.ok(Math.abs(f1.fid - f2.fid) <= 1e-9 * f2.fid, `${f1.fid} vs ${f2.fid}`);
      assert.ok(Math.abs(f1.kid.mean - f2.kid.mean) <= 1e-12, "KID too");
    } finally {
      await s.close();
      await pool.close();
    }
  },
);

testEachDatabase("bad image uploads are 4xx and change nothing", async (db) => {
  const pool = new ExtractorPool({ workers: 1 });
  const s = await startTestService(db, {}, { features: localFeatureService(() => pool) });
  try {
    const ref = await (await postNpy(s, "/v1/references?name=digits", digitsNpy(digitImages(50)))).json();
    assert.equal(ref.features, "mnist-lenet", "images without ?features= use the default space");
    const plain = await (await postNpy(
      s,
      "/v1/references?name=plain",
      npyOf(new Float32Array(ref.dim * 3).fill(0.5), 3, ref.dim),
    )).json();
    assert.equal(plain.features, null);
    const run = await (await postJson(s, "/v1/runs", { name: "r", reference: ref.id })).json();
    const corrupt = new FormData();
    corrupt.append("image", new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])]), "broken.png");
    const mixed = new FormData();
    for (const [i, size] of [[0, 28], [1, 27]]) {
      const { encode } = await import("fast-png");
      mixed.append(
        "image",
        new Blob([
          encode({
            width: size,
            height: size,
            channels: 1,
            depth: 8,
            data: new Uint8Array(size * size),
          }) as BlobPart,
        ]),
        `${i}.png`,
      );
    }
    const cases: Array<[string, () => Promise<Response>, number]> = [
      [
        "a corrupt PNG",
        () => s.request(`/v1/runs/${run.id}/batches`, { method: "POST", body: corrupt }),
        400,
      ],
      [
        "images of different sizes",
        () => s.request(`/v1/runs/${run.id}/batches`, { method: "POST", body: mixed }),
        422,
      ],
      [
        "an empty multipart body",
        () => s.request(`/v1/runs/${run.id}/batches`, { method: "POST", body: new FormData() }),
        422,
      ],
      [
        "a run naming another feature space",
        () => postJson(s, "/v1/runs", { name: "x", reference: ref.id, features: "fid-inception" }),
        422,
      ],
      [
        "an unknown feature space",
        () => postNpy(s, "/v1/references?name=x&features=no-such-net", digitsNpy(digitImages(3))),
        422,
      ],
      [
        "images for a reference without a space",
        () => postNpy(s, `/v1/references/${plain.id}/batches`, digitsNpy(digitImages(3)), "k"),
        422,
      ],
      [
        "values above 1 in a float image array",
        () =>
          postNpy(
            s,
            `/v1/runs/${run.id}/batches`,
            encodeNpy({ dtype: "float32", shape: [1, 28, 28], data: new Float32Array(DIGIT_PIXELS).fill(2) }),
            "v",
          ),
        422,
      ],
    ];
    for (const [what, send, status] of cases) {
      const res = await send();
      assert.equal(res.status, status, `${what}: ${await res.clone().text()}`);
      assert.ok((await res.json()).error.message.length > 10, what);
    }
    assert.equal((await (await s.request(`/v1/runs/${run.id}`)).json()).n, 0);
  } finally {
    await s.close();
    await pool.close();
  }
});
