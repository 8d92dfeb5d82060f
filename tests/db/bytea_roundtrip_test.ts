/** bytea columns give back exactly the bytes stored, as plain Uint8Arrays, on both drivers (their OID 17 codecs). */
import assert from "node:assert/strict";
import { findReference, insertReference } from "../../db/store/references.ts";
import { testEachDatabase } from "../_support/databases.ts";

testEachDatabase(
  "every byte value and a 3 MiB random value round-trip through bytea unchanged",
  async ({ db }) => {
    const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    const large = new Uint8Array(3 * 2 ** 20 + 1);
    for (let i = 0; i < large.length; i += 65536) crypto.getRandomValues(large.subarray(i, i + 65536));
    await insertReference(db, { id: "r", name: "r", dim: 2, source: "stats", mu: every, sigma: large });
    const back = (await findReference(db, "r"))!;
    assert.deepEqual(back.mu, every);
    assert.equal(back.sigma!.length, large.length);
    assert.ok(back.sigma!.every((b, i) => b === large[i]), "the large value differs");
    assert.ok(back.mu instanceof Uint8Array);
  },
);
