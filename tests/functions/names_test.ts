/** Names and tags: limited in characters (code points), so an emoji counts once, not twice. */
import assert from "node:assert/strict";
import { MAX_NAME_CHARACTERS, requireName } from "../../functions/names.ts";

Deno.test("name lengths count code points: 200 emoji are fine, 201 are too long", () => {
  assert.equal(requireName("🙂".repeat(MAX_NAME_CHARACTERS), "name"), "🙂".repeat(200));
  assert.equal(requireName("👩‍👩‍👧".repeat(40), "name").length, 40 * 8, "ZWJ sequences: 5 code points each");
  for (const name of ["🙂".repeat(201), "x".repeat(201), "e\u0301".repeat(101)]) {
    assert.throws(
      () => requireName(name, "name"),
      (e: Error & { code?: string }) => e.code === "name_too_long" && /over 200 characters/.test(e.message),
    );
  }
});
