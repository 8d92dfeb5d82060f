/** Upload files from a zip: directories skipped, limits enforced before inflating, duplicates refused. */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { addUploadFile, uploadFilesFromZip } from "../../src/tfjs/upload_files.ts";

const limits = { maxFiles: 3, maxTotalBytes: 100, maxModelJsonBytes: 50 };

Deno.test("a zip's files come back by path, folders skipped", () => {
  const zip = zipSync({
    "m/": new Uint8Array(0),
    "m/model.json": Uint8Array.from([1, 2]),
    "m/w.bin": Uint8Array.from([3]),
  });
  const files = uploadFilesFromZip(zip);
  assert.deepEqual([...files.keys()].sort(), ["m/model.json", "m/w.bin"]);
  assert.deepEqual(Array.from(files.get("m/w.bin")!), [3]);
});

Deno.test("too many files or too many declared bytes are 413s; deflate bombs are refused without inflating", () => {
  const many = zipSync({
    a: new Uint8Array(1),
    b: new Uint8Array(1),
    c: new Uint8Array(1),
    d: new Uint8Array(1),
  });
  assert.throws(() => uploadFilesFromZip(many, limits), {
    code: "model_too_many_files",
    name: "PayloadTooLargeError",
  });
  // 101 zero bytes deflate to a few bytes: the declared size is what counts.
  const bomb = zipSync({ a: new Uint8Array(101) }, { level: 9 });
  assert.ok(bomb.length < 200);
  assert.throws(() => uploadFilesFromZip(bomb, limits), { code: "model_too_large" });
  const files = new Map<string, Uint8Array>();
  addUploadFile(files, "a", new Uint8Array(60), limits);
  assert.throws(() => addUploadFile(files, "a", new Uint8Array(1), limits), {
    code: "upload_duplicate_file",
  });
  assert.throws(() => addUploadFile(files, "b", new Uint8Array(41), limits), { code: "model_too_large" });
  assert.throws(() => addUploadFile(files, "", new Uint8Array(1), limits), { code: "upload_bad_file_name" });
  assert.throws(() => uploadFilesFromZip(Uint8Array.from([1, 2, 3])), { name: "InvalidInputError" });
});
