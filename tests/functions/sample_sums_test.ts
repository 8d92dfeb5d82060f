/** Reconstruction loss and KL uploads stream into a run's metrics, exactly once per key, on both databases. */
import assert from "node:assert/strict";
import { encodeNpz } from "../../src/tensors/npz.ts";
import { npyOf, randomFeatures, seededRandom } from "../../tools/arrays.ts";
import { postJson, postNpy, testEachService, type TestService } from "../_support/service.ts";

const close = (a: number, b: number) =>
  assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} != ${b}`);

function images(n: number, pixels: number, seed: number) {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n * pixels }, () => r());
}

/** Keras-style BCE with clipping and squared error, written plainly. */
function naiveRecon(x: Float32Array, y: Float32Array, n: number) {
  let bce = 0, se = 0;
  for (let i = 0; i < x.length; i++) {
    const p = Math.min(Math.max(y[i], 1e-7), 1 - 1e-7);
    bce += -(x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p));
    se += (x[i] - y[i]) ** 2;
  }
  return { recon_bce: bce / x.length, recon_mse: se / x.length, recon_bce_sum: bce / n };
}

function naiveKl(m: Float32Array, lv: Float32Array, n: number, d: number) {
  const perDim = new Array(d).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const a = m[i * d + j], b = lv[i * d + j];
      perDim[j] += -0.5 * (1 + b - a * a - Math.exp(b)) / n;
    }
  }
  return { kl: perDim.reduce((s, v) => s + v, 0), perDim };
}

/** POSTs the arrays as an .npz; every array gets `shape` unless `shapes` names its own. */
/** Creates a reference and a run against it; the run's path. */
async function newRunPath(s: TestService): Promise<string> {
  const ref = await (await postNpy(s, "/v1/references?name=r", npyOf(randomFeatures(40, 4, 1), 40, 4)))
    .json();
  const run = await (await postJson(s, "/v1/runs", { name: "vae", reference: ref.id })).json();
  return `/v1/runs/${run.id}`;
}

function post(
  s: TestService,
  path: string,
  arrays: Record<string, Float32Array | Uint8Array>,
  shape: number[],
  key: string,
  shapes: Record<string, number[]> = {},
) {
  const npz = encodeNpz(Object.fromEntries(
    Object.entries(arrays).map(([k, v]) => [k, {
      dtype: v instanceof Uint8Array ? "uint8" : "float32",
      shape: shapes[k] ?? shape,
      data: v,
    }]),
  ) as never);
  return s.request(path, {
    method: "POST",
    body: npz as BodyInit,
    headers: { "content-type": "application/zip", "idempotency-key": key },
  });
}

testEachService(
  "reconstruction and latent uploads give running BCE, MSE and KL in metrics and at finalize",
  async (s) => {
    const path = await newRunPath(s);
    const P = 12, D = 3;
    const x1 = images(5, P, 1), y1 = images(5, P, 2), x2 = images(7, P, 3), y2 = images(7, P, 4);
    const r1 = await post(s, `${path}/reconstructions`, { x: x1, x_hat: y1 }, [5, 3, 4], "r1");
    assert.deepEqual(await r1.json(), {
      upload: (await (await post(s, `${path}/reconstructions`, { x: x1, x_hat: y1 }, [5, 3, 4], "r1")).json())
        .upload,
      n: 5,
      replayed: false,
    });
    const r2 = await (await post(s, `${path}/reconstructions`, { x: x2, x_hat: y2 }, [7, 3, 4], "r2"))
      .json();
    assert.equal(r2.n, 12);
    const m = Float32Array.from(images(9, D, 5), (v) => 2 * v - 1);
    const lv = Float32Array.from(images(9, D, 6), (v) => v - 0.5);
    m.fill(0, 0, 0);
    for (let i = 0; i < 9; i++) (m[i * D + 2] = 0, lv[i * D + 2] = 0); // dimension 2 collapsed to the prior
    assert.equal((await post(s, `${path}/latents`, { z_mean: m, z_log_var: lv }, [9, D], "z")).status, 200);
    await s.deps.scheduler.idle();

    const latest = (await (await s.request(path)).json()).latest;
    const expected = naiveRecon(Float32Array.from([...x1, ...x2]), Float32Array.from([...y1, ...y2]), 12);
    close(latest.recon_bce, expected.recon_bce);
    close(latest.recon_mse, expected.recon_mse);
    close(latest.recon_bce_sum, expected.recon_bce_sum);
    const kl = naiveKl(m, lv, 9, D);
    close(latest.kl, kl.kl);
    kl.perDim.forEach((v, j) => close(latest.kl_per_dim[j], v));
    assert.equal(latest.active_dims, 2);
    assert.deepEqual([latest.n, latest.recon_n, latest.kl_n, latest.fid], [0, 12, 9, null]);

    const final = await (await s.request(`${path}/finalize`, { method: "POST" })).json();
    close(final.recon_bce, expected.recon_bce);
    close(final.kl, kl.kl);
    const late = await post(s, `${path}/reconstructions`, { x: x1, x_hat: y1 }, [5, 3, 4], "new");
    assert.equal(late.status, 409);
  },
);

testEachService("bad reconstruction and latent uploads are 4xx and change nothing", async (s) => {
  const path = await newRunPath(s);
  const x = images(4, 6, 1);
  assert.equal((await post(s, `${path}/reconstructions`, { x, x_hat: x }, [4, 6], "ok")).status, 200);
  const over = Float32Array.from(x, (v) => v + 1);
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ["missing x_hat", () => post(s, `${path}/reconstructions`, { x }, [4, 6], "a"), 422, "missing_array"],
    [
      "values above 1",
      () => post(s, `${path}/reconstructions`, { x, x_hat: over }, [4, 6], "b"),
      422,
      "recon_value_out_of_range",
    ],
    [
      "uint8 images",
      () =>
        post(
          s,
          `${path}/reconstructions`,
          { x: new Uint8Array(24), x_hat: new Uint8Array(24) },
          [4, 6],
          "c",
        ),
      422,
      "bad_dtype",
    ],
    [
      "another image size",
      () => post(s, `${path}/reconstructions`, { x: images(3, 8, 2), x_hat: images(3, 8, 3) }, [3, 8], "d"),
      422,
      "shape_mismatch",
    ],
    [
      "latents of different shapes",
      () =>
        post(s, `${path}/latents`, { z_mean: images(4, 2, 1), z_log_var: images(2, 4, 1) }, [4, 2], "e", {
          z_log_var: [2, 4],
        }),
      422,
      "shape_mismatch",
    ],
    [
      "another body under a used key",
      () => post(s, `${path}/reconstructions`, { x: images(4, 6, 9), x_hat: x }, [4, 6], "ok"),
      409,
      "idempotency_key_reused",
    ],
    [
      "not a zip",
      () =>
        s.request(`${path}/latents`, {
          method: "POST",
          body: "nope",
          headers: { "content-type": "application/zip" },
        }),
      400,
      "npz",
    ],
    [
      "unknown run",
      () => post(s, `/v1/runs/ghost/latents`, { z_mean: x, z_log_var: x }, [4, 6], "f"),
      404,
      "run_not_found",
    ],
  ];
  for (const [what, req, status, code] of cases) {
    const res = await req();
    assert.equal(res.status, status, what);
    assert.ok((await res.json()).error.code.includes(code), what);
  }
  await s.deps.scheduler.idle();
  const latest = (await (await s.request(path)).json()).latest;
  assert.equal(latest.recon_n, 4);
  assert.equal(latest.kl_n, undefined);
  assert.equal(latest.recon_mse, 0);
});
