import assert from "node:assert/strict";
import { crc32 } from "../../src/tensors/crc32.ts";

Deno.test("crc32 gives the published CRC-32/ISO-HDLC check values", () => {
  // Check value of the CRC catalogue for "123456789", and two well-known strings.
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  assert.equal(crc32(new Uint8Array(0)), 0);
});
