import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { InvalidInputError, PayloadTooLargeError } from "../../src/errors.ts";
import { encodeNpy, type NdArray } from "../../src/tensors/npy.ts";
import { encodeNpz, parseNpz } from "../../src/tensors/npz.ts";
import { ascii, assertTypedError } from "./_fixtures.ts";
import { buildZip } from "../../tools/zip_builder.ts";

function b64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// Written by numpy 2.4 as pytorch-fid's save_fid_stats does: np.savez_compressed(f, mu=mu, sigma=sigma) with
// mu = [0.5, -1.25, 2.0], sigma = [[2, 0.5, 0], [0.5, 1, -0.25], [0, -0.25, 3]] (float64). Python's zipfile
// puts zip64 extra fields with saturated sizes in the local headers (numpy passes force_zip64=True).
const PYTORCH_FID_STATS_NPZ = b64(
  "UEsDBC0AAAAIAAAAIQCSN4/y//////////8GABQAbXUubnB5AQAQAJgAAAAAAAAAUAAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBu" +
    "k2ahrqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RrGOpo6CrUKFAAuBjB4YA+hv+yH0AwOAFBLAwQtAAAACAAAACEA0SOrW///" +
    "////////CQAUAHNpZ21hLm5weQEAEADIAAAAAAAAAF0AAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmoa6joJ6WX1RSlJgXn1+U" +
    "kgoSd0vMKU4FihdnJBakAvkaxjoKxpo6CrUKZAMuBghwgFAP7BlQAIz/AUpf2I8qD+NzOAAAUEsBAi0DLQAAAAgAAAAhAJI3j/JQAAAA" +
    "mAAAAAYAAAAAAAAAAAAAAIABAAAAAG11Lm5weVBLAQItAy0AAAAIAAAAIQDRI6tbXQAAAMgAAAAJAAAAAAAAAAAAAACAAYgAAABzaWdt" +
    "YS5ucHlQSwUGAAAAAAIAAgBrAAAAIAEAAAAA",
);

// np.savez(f, mu=np.array([1, 2], '<f4'), x=np.arange(4, dtype=np.uint8).reshape(2, 2)): stored members.
const SAVEZ_STORED_NPZ = b64(
  "UEsDBC0AAAAAAAAAIQCayqvn//////////8GABQAbXUubnB5AQAQAIgAAAAAAAAAiAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8" +
    "ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg" +
    "ICAgICAgICAgICAgICAgICAgICAgICAgICAgCgAAgD8AAABAUEsDBC0AAAAAAAAAIQBcIt3W//////////8FABQAeC5ucHkBABAAhAAA" +
    "AAAAAACEAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJ3x1MScsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAy" +
    "KSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAECA1BLAQItAy0AAAAA" +
    "AAAAIQCayqvniAAAAIgAAAAGAAAAAAAAAAAAAACAAQAAAABtdS5ucHlQSwECLQMtAAAAAAAAACEAXCLd1oQAAACEAAAABQAAAAAAAAAA" +
    "AAAAgAHAAAAAeC5ucHlQSwUGAAAAAAIAAgBnAAAAewEAAAAA",
);

const SIGMA = [2, 0.5, 0, 0.5, 1, -0.25, 0, -0.25, 3];

Deno.test("parseNpz reads a pytorch-fid stats file (np.savez_compressed of mu and sigma)", () => {
  const arrays = parseNpz(PYTORCH_FID_STATS_NPZ);
  assert.deepEqual([...arrays.keys()].sort(), ["mu", "sigma"]);
  const mu = arrays.get("mu")!, sigma = arrays.get("sigma")!;
  assert.equal(mu.dtype, "float64");
  assert.deepEqual(mu.shape, [3]);
  assert.deepEqual([...mu.data], [0.5, -1.25, 2]);
  assert.equal(sigma.dtype, "float64");
  assert.deepEqual(sigma.shape, [3, 3]);
  assert.deepEqual([...sigma.data], SIGMA);
});

Deno.test("parseNpz reads an uncompressed np.savez archive with float32 and uint8 members", () => {
  const arrays = parseNpz(SAVEZ_STORED_NPZ);
  assert.deepEqual([...arrays.get("mu")!.data], [1, 2]);
  assert.equal(arrays.get("mu")!.dtype, "float32");
  const x = arrays.get("x")!;
  assert.equal(x.dtype, "uint8");
  assert.deepEqual(x.shape, [2, 2]);
  assert.deepEqual([...x.data], [0, 1, 2, 3]);
});

Deno.test("parseNpz reads an empty archive (np.savez with no arrays) as an empty map", () => {
  const empty = Uint8Array.of(0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0));
  assert.equal(parseNpz(empty).size, 0);
});

const STATS: Record<string, NdArray> = {
  mu: { dtype: "float64", shape: [3], data: Float64Array.of(0.5, -1.25, 2) },
  sigma: { dtype: "float64", shape: [3, 3], data: Float64Array.from(SIGMA) },
};

/** Compression method of every central directory entry of a zip (scanning for the entry signature). */
function centralMethods(zip: Uint8Array): number[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const methods: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) {
    if (v.getUint32(i, true) === 0x02014b50) methods.push(v.getUint16(i + 10, true));
  }
  return methods;
}

Deno.test("encodeNpz then parseNpz round-trips stats, deflated (savez_compressed) or stored (savez)", () => {
  for (const compress of [true, false]) {
    const zip = encodeNpz(STATS, { compress });
    assert.deepEqual(centralMethods(zip), compress ? [8, 8] : [0, 0]);
    const back = parseNpz(zip);
    assert.deepEqual([...back.keys()], ["mu", "sigma"]);
    for (const name of ["mu", "sigma"]) {
      assert.deepEqual(back.get(name)!.shape, STATS[name].shape);
      assert.deepEqual([...back.get(name)!.data], [...STATS[name].data]);
    }
  }
});

Deno.test("encodeNpz is deterministic and stores each array as name + '.npy'", () => {
  const a = encodeNpz(STATS, { compress: true });
  assert.deepEqual(encodeNpz(STATS, { compress: true }), a);
  const text = String.fromCharCode(...encodeNpz(STATS));
  assert.ok(text.includes("mu.npy") && text.includes("sigma.npy"));
  assertTypedError(() => encodeNpz({ "": STATS.mu }), InvalidInputError, "npz_invalid_name");
});

Deno.test("parseNpz reads zip64 forms: saturated sizes with extra fields and a zip64 end record", () => {
  const members = [
    { name: "mu.npy", data: encodeNpy(STATS.mu), deflate: true },
    { name: "sigma.npy", data: encodeNpy(STATS.sigma) },
  ];
  const back = parseNpz(buildZip(members, { zip64: true }));
  assert.deepEqual([...back.get("mu")!.data], [0.5, -1.25, 2]);
  assert.deepEqual([...back.get("sigma")!.data], SIGMA);
});

// ---- bad archives ----

Deno.test("parseNpz rejects bytes that are not a zip", () => {
  for (const bytes of [new Uint8Array(0), ascii("hello"), encodeNpy(STATS.mu), new Uint8Array(1000)]) {
    assertTypedError(() => parseNpz(bytes), InvalidInputError, "npz_not_zip");
  }
});

Deno.test("parseNpz rejects a member that is not .npy", () => {
  const zip = zipSync({ "mu.npy": encodeNpy(STATS.mu), "readme.txt": ascii("hi") });
  assertTypedError(() => parseNpz(zip), InvalidInputError, "npz_member_not_npy", /'readme.txt'/);
  const dir = zipSync({ "mu.npy": encodeNpy(STATS.mu), "sub": {} }); // a directory entry "sub/"
  assertTypedError(() => parseNpz(dir), InvalidInputError, "npz_member_not_npy", /'sub\/'/);
});

Deno.test("parseNpz rejects a .npy member with bad content, naming the member, keeping the npy error code", () => {
  const zip = buildZip([{ name: "mu.npy", data: encodeNpy(STATS.mu) }, {
    name: "bad.npy",
    data: ascii("nope"),
  }]);
  assertTypedError(() => parseNpz(zip), InvalidInputError, "npy_bad_magic", /npz member 'bad.npy'/);
});

Deno.test("parseNpz rejects a zip bomb from its declared sizes before inflating anything", () => {
  const big = new Uint8Array(8 << 20); // 8 MiB of zeros deflates to a few KB
  const bomb = zipSync({ "x.npy": big }, { level: 9 });
  assert.ok(bomb.length < 64 << 10);
  assertTypedError(
    () => parseNpz(bomb, { maxUncompressedBytes: 1 << 20 }),
    PayloadTooLargeError,
    "npz_too_large",
    /at most 1048576/,
  );
  // A declared 4 GiB member is refused at once under the default limit; inflating it would take 4 GiB.
  const lying = buildZip([{
    name: "x.npy",
    data: encodeNpy(STATS.mu),
    deflate: true,
    declaredSize: 0xfffffff0,
  }]);
  const t0 = performance.now();
  assertTypedError(() => parseNpz(lying), PayloadTooLargeError, "npz_too_large");
  assert.ok(performance.now() - t0 < 1000);
  // The limit is on the sum over members, not each member.
  const two = buildZip([
    { name: "a.npy", data: encodeNpy(STATS.sigma) },
    { name: "b.npy", data: encodeNpy(STATS.sigma) },
  ]);
  const one = encodeNpy(STATS.sigma).length;
  assert.equal(parseNpz(two, { maxUncompressedBytes: 2 * one }).size, 2);
  assertTypedError(
    () => parseNpz(two, { maxUncompressedBytes: 2 * one - 1 }),
    PayloadTooLargeError,
    "npz_too_large",
  );
});

Deno.test("parseNpz rejects a member that inflates to more or fewer bytes than declared", () => {
  const data = encodeNpy(STATS.sigma);
  for (const declaredSize of [data.length - 1, data.length + 1, 10]) {
    const zip = buildZip([{ name: "s.npy", data, deflate: true, declaredSize }]);
    assertTypedError(() => parseNpz(zip), InvalidInputError, "npz_corrupt", /size other than/);
  }
});

Deno.test("parseNpz rejects a member whose CRC-32 does not match", () => {
  const data = encodeNpy(STATS.sigma);
  for (const deflate of [false, true]) {
    const zip = buildZip([{ name: "s.npy", data, deflate, declaredCrc: 12345 }]);
    assertTypedError(() => parseNpz(zip), InvalidInputError, "npz_corrupt", /CRC-32/);
  }
  // A flipped data byte in a stored member (the .npy would still parse) is caught by the CRC.
  const zip = buildZip([{ name: "s.npy", data }]);
  zip[30 + 5 + data.length - 1] ^= 0x40;
  assertTypedError(() => parseNpz(zip), InvalidInputError, "npz_corrupt", /CRC-32/);
});

Deno.test("parseNpz rejects unsupported compression methods and encrypted members", () => {
  const data = encodeNpy(STATS.mu);
  const bzip2 = buildZip([{ name: "m.npy", data, declaredMethod: 12 }]);
  assertTypedError(() => parseNpz(bzip2), InvalidInputError, "npz_unsupported_zip_feature", /method 12/);
  const encrypted = buildZip([{ name: "m.npy", data, flags: 1 }]);
  assertTypedError(() => parseNpz(encrypted), InvalidInputError, "npz_unsupported_zip_feature", /encrypted/);
});

Deno.test("parseNpz rejects an archive naming the same member twice", () => {
  const data = encodeNpy(STATS.mu);
  const zip = buildZip([{ name: "m.npy", data }, { name: "m.npy", data }]);
  assertTypedError(() => parseNpz(zip), InvalidInputError, "npz_duplicate_member", /'m.npy'/);
});

Deno.test("parseNpz rejects every truncation of a valid archive with a typed error", () => {
  const zip = encodeNpz(STATS, { compress: true });
  for (let cut = 0; cut < zip.length; cut++) {
    let err: unknown;
    try {
      parseNpz(zip.subarray(0, cut));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InvalidInputError, `cut at ${cut}: ${err}`);
    assert.match((err as InvalidInputError).code, /^npz_(not_zip|corrupt)$/, `cut at ${cut}`);
  }
});
