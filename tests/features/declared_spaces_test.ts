/** Declared feature-space names: the known ones with their dimension and distance, custom:NAME by a strict pattern. */
import assert from "node:assert/strict";
import { declaredSpace, declaredSpacesText, distanceName } from "../../src/features/declared_spaces.ts";

Deno.test("the known declared spaces fix their dimension and name their distance; CLIP takes CMMD", () => {
  assert.deepEqual(
    ["inception-2048", "dinov2-vitl14", "clip-vitl14-336"].map((n) => {
      const s = declaredSpace(n)!;
      return [s.dim, s.distance, s.cmmd];
    }),
    [[2048, "FID", false], [1024, "FD_DINOv2", false], [768, "FD_CLIP", true]],
  );
  assert.match(declaredSpacesText(), /dinov2-vitl14 \(D = 1024\).*custom:NAME \(any D\)/);
});

Deno.test("custom:NAME takes any dimension; anything else, object properties included, is no declared space", () => {
  for (const name of ["custom:x", "custom:openai/clip-b32", "custom:v1.2_a+b", "custom:constructor"]) {
    assert.deepEqual([declaredSpace(name)?.dim, declaredSpace(name)?.distance], [null, "FD"], name);
  }
  for (
    const name of [
      "custom:",
      "custom:_x",
      "custom:a b",
      "custom:" + "x".repeat(101),
      "Custom:x",
      "constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
      "dinov2",
      "mnist-lenet",
      "fid-inception:2048",
    ]
  ) {
    assert.equal(declaredSpace(name), null, name);
  }
});

Deno.test("the distance's displayed name: the declared space's, else FID", () => {
  assert.equal(distanceName("dinov2-vitl14"), "FD_DINOv2");
  assert.equal(distanceName("custom:mine"), "FD");
  for (const s of [null, undefined, "mnist-lenet", "fid-inception:768", "constructor"]) {
    assert.equal(distanceName(s), "FID");
  }
});
