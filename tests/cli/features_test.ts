/** `deno task cli features`: images (folder or .npy) -> one feature row per image, on the worker pool. */
import assert from "node:assert/strict";
import { encode as encodeJpeg } from "jpeg-js";
import { decodeImage } from "../../src/images/png_jpeg.ts";
import { loadOpenBlas } from "../../src/native/openblas.ts";
import { parseNpy } from "../../src/tensors/npy.ts";
import { digitImages } from "../_support/digits.ts";
import { randomWeights } from "../../tools/fid_inception_reference.ts";
import { writeSyntheticFolded } from "../../tools/synthetic_fid_weights.ts";
import { runCli, tempFiles } from "./_cli.ts";
import { digitImage, featuresInThread, type TestImage, writePng } from "./_images.ts";

/** Largest |a - b| over max(1, |b|) between two row lists. */
function maxRelDiff(got: Float32Array, rows: Float32Array[], dim: number): number {
  let worst = 0;
  rows.forEach((row, i) => {
    for (let j = 0; j < dim; j++) {
      worst = Math.max(worst, Math.abs(got[i * dim + j] - row[j]) / Math.max(1, Math.abs(row[j])));
    }
  });
  return worst;
}

Deno.test("features of a folder: one row per PNG/JPEG in name order, sizes and channels mixed, equal to in-thread extraction", async () => {
  const t = await tempFiles();
  try {
    const digits = digitImages(7, 3);
    const digit = (i: number) => digits.subarray(i * 784, (i + 1) * 784);
    // 20 x 24 RGB: a size change mid-folder starts a new chunk.
    const small: TestImage = { width: 20, height: 24, channels: 3, pixels: new Uint8Array(20 * 24 * 3) };
    small.pixels.forEach((_, k) => (small.pixels[k] = (k * 37) % 251));
    // Names chosen so that name order (a10 < a2 < b < c) differs from the order of writing.
    const named: [string, TestImage][] = [
      ["c.png", digitImage(digit(0))],
      ["a2.png", digitImage(digit(1), true)],
      ["a10.png", digitImage(digit(2))],
      ["b.png", small],
      ["b2.png", digitImage(digit(3))],
      ["b3.PNG", digitImage(digit(4))],
    ];
    for (const [name, img] of named) await writePng(`${t.dir}/${name}`, img);
    // A JPEG, compared against the same bytes decoded in this thread (tests/features checks the decoder against
    // PIL's pixels): this test is about the folder's plumbing.
    const rgba = new Uint8Array(28 * 28 * 4);
    for (let p = 0; p < 784; p++) rgba.set([digit(5)[p], digit(5)[p], digit(6)[p], 255], 4 * p);
    const jpeg = new Uint8Array(encodeJpeg({ width: 28, height: 28, data: rgba }, 90).data);
    await Deno.writeFile(`${t.dir}/d.jpg`, jpeg);
    const decoded = decodeImage(jpeg);
    const jpegImage: TestImage = { width: 28, height: 28, channels: 3, pixels: new Uint8Array(decoded.data) };
    await Deno.writeTextFile(`${t.dir}/notes.txt`, "not an image");
    await Deno.writeFile(`${t.dir}/x.webp`, new Uint8Array(10));

    const out = `${t.dir}/feats.npy`;
    const r = await runCli([
      "features",
      t.dir,
      "--model",
      "mnist-lenet",
      "--out",
      out,
      "--backend",
      "wasm",
      "--workers",
      "2",
      "--batch-size",
      "2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    // Code point order, as pytorch-fid's sorted(): digits before letters, uppercase before lowercase.
    const order = ["a10.png", "a2.png", "b.png", "b2.png", "b3.PNG", "c.png"];
    const expectedImages = [...order.map((n) => named.find(([m]) => m === n)![1]), jpegImage];

    assert.equal(r.json!.n, 7);
    assert.equal(r.json!.dim, 128);
    assert.equal(r.json!.backend, "wasm");
    assert.equal(r.json!.engine, "tfjs");
    assert.ok((r.json!.images_per_s as number) > 0);
    assert.match(r.stderr, /skipped .*x\.webp/);
    assert.match(r.stderr, /100% 7\/7/);

    const feats = parseNpy(await Deno.readFile(out));
    assert.deepEqual([feats.dtype, feats.shape], ["float32", [7, 128]]);
    const oracle = await featuresInThread("mnist-lenet", expectedImages);
    assert.ok(maxRelDiff(feats.data as Float32Array, oracle, 128) < 1e-5);
    // The rows really differ from image to image, so the order check above means something.
    assert.ok(maxRelDiff(oracle[0], [oracle[1]], 128) > 1e-2);
    assert.equal([...Deno.readDirSync(t.dir)].some((e) => e.name.endsWith(".partial")), false);
  } finally {
    await t.cleanup();
  }
});

Deno.test("features of an .npy image array (uint8 NHWC) and the logits output", async () => {
  const t = await tempFiles();
  try {
    const digits = digitImages(5, 11);
    const images = Array.from(
      { length: 5 },
      (_, i) => digitImage(digits.subarray(i * 784, (i + 1) * 784), true),
    );
    const data = new Uint8Array(5 * 784 * 3);
    images.forEach((img, i) => data.set(img.pixels, i * 784 * 3));
    const input = await t.npy("images.npy", { dtype: "uint8", shape: [5, 28, 28, 3], data });
    const out = `${t.dir}/logits.npy`;
    const r = await runCli([
      "features",
      input,
      "--model=mnist-lenet",
      "--dims=logits",
      `--out=${out}`,
      "--workers=1",
      "--batch-size=2",
      "--backend=wasm",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json!.n, r.json!.dim], [5, 10]);
    const feats = parseNpy(await Deno.readFile(out));
    assert.deepEqual(feats.shape, [5, 10]);
    const oracle = await featuresInThread("mnist-lenet", images, "logits");
    assert.ok(maxRelDiff(feats.data as Float32Array, oracle, 10) < 1e-5);
  } finally {
    await t.cleanup();
  }
});

Deno.test("features --model fid-inception loads converted weights from FIDSTREAM_DATA_DIR or --weights FOLDER; missing ones name models:fetch", async () => {
  const t = await tempFiles();
  try {
    const digits = digitImages(2, 5);
    const input = await t.npy("images.npy", { dtype: "uint8", shape: [2, 28, 28], data: digits });
    const args = (
      out: string,
    ) => ["features", input, "--model", "fid-inception", "--out", out, "--workers", "1"];
    const missing = await runCli([...args(`${t.dir}/none.npy`), "--backend", "wasm"], {
      FIDSTREAM_DATA_DIR: `${t.dir}/empty`,
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /deno task models:fetch/);
    assert.equal(
      [...Deno.readDirSync(t.dir)].some((e) => e.name.startsWith("none.npy")),
      false,
      "no output on failure",
    );

    await writeSyntheticFolded(`${t.dir}/data/models/fid-inception`, randomWeights(3));
    const out = `${t.dir}/pool0.npy`;
    const r = await runCli([...args(out), "--dims", "64"], {
      FIDSTREAM_DATA_DIR: `${t.dir}/data`,
      FIDSTREAM_BACKEND: "wasm",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json!.n, r.json!.dim, r.json!.model, r.json!.backend, r.json!.engine], [
      2,
      64,
      "fid-inception",
      "wasm",
      loadOpenBlas() ? "blas" : "simd", // the CPU default
    ]);
    const feats = parseNpy(await Deno.readFile(out));
    assert.deepEqual(feats.shape, [2, 64]);
    // --weights reaches the pool's workers (in their settings) even with an empty data dir.
    const viaFlag = await runCli(
      [...args(`${t.dir}/flag.npy`), "--dims", "64", "--weights", `${t.dir}/data/models/fid-inception`],
      { FIDSTREAM_DATA_DIR: `${t.dir}/empty`, FIDSTREAM_BACKEND: "wasm" },
    );
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    assert.deepEqual([...parseNpy(await Deno.readFile(`${t.dir}/flag.npy`)).data], [...feats.data]);
    const oracle = await featuresInThread(
      "fid-inception",
      [0, 1].map((i) => digitImage(digits.subarray(i * 784, (i + 1) * 784))),
      "64",
      `${t.dir}/data`,
    );
    assert.ok(maxRelDiff(feats.data as Float32Array, oracle, 64) < 1e-4);
  } finally {
    await t.cleanup();
  }
});

Deno.test("features: usage errors exit 2 before any input is read; unreadable inputs exit 1 naming the problem", async () => {
  const t = await tempFiles();
  try {
    const features = await t.npy("f.npy", { dtype: "float32", shape: [3, 4], data: new Float32Array(12) });
    await Deno.mkdir(`${t.dir}/empty`);
    await Deno.mkdir(`${t.dir}/corrupt`);
    await Deno.writeFile(`${t.dir}/corrupt/a.png`, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    const out = ["--out", `${t.dir}/x.npy`];
    const cases: [string[], number, RegExp][] = [
      [["missing", "--model", "mnist-lenet"], 2, /--out FEATS\.npy is required/],
      [["missing", ...out], 2, /--model is required/],
      [["missing", ...out, "--model", "nope"], 2, /not a feature space/],
      [
        ["missing", ...out, "--model", "mnist-lenet", "--weights", "w.pth"],
        2,
        /--weights is for --model fid-inception/,
      ],
      [["missing", ...out, "--model", "mnist-lenet", "--backend", "tpu"], 2, /--backend must be one of/],
      [["missing", ...out, "--model", "mnist-lenet", "--workers", "0"], 2, /--workers must be at least 1/],
      [[`${t.dir}/missing`, ...out, "--model", "mnist-lenet"], 1, /cannot read/],
      [[`${t.dir}/empty`, ...out, "--model", "mnist-lenet"], 1, /holds no \.png, \.jpg or \.jpeg files/],
      [[features, ...out, "--model", "mnist-lenet"], 1, /2-D array .* features/],
      [[`${t.dir}/corrupt`, ...out, "--model", "mnist-lenet", "--workers", "1"], 1, /corrupt\/a\.png/],
    ];
    for (const [argv, code, pattern] of cases) {
      const r = await runCli(["features", ...argv]);
      assert.equal(r.code, code, `${argv.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern, argv.join(" "));
    }
    assert.equal([...Deno.readDirSync(t.dir)].some((e) => e.name.startsWith("x.npy")), false);
  } finally {
    await t.cleanup();
  }
});
