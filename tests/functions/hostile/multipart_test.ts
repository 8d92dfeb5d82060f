/**
 * Hostile multipart image uploads (POST /v1/references and /v1/runs/:id/batches as multipart/form-data): malformed
 * envelopes, parts that are not images, corrupt and mismatched images, too many parts, and a pixel bomb (small
 * PNGs declaring 4096 x 4096 each) get a clear 4xx without the memory a decode of them all would take, and store
 * nothing.
 */
import assert from "node:assert/strict";
import { encode as encodePng } from "fast-png";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../../db/database.ts";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import { postJson, postNpy, startTestService, type TestService } from "../../_support/service.ts";

const BOUNDARY = "----fidstream-hostile";
const enc = new TextEncoder();

/** A multipart body from raw parts: each [headers text, bytes]; `close` false leaves the closing boundary out. */
function multipart(parts: [string, Uint8Array][], close = true): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const [headers, bytes] of parts) {
    chunks.push(enc.encode(`--${BOUNDARY}\r\n${headers}\r\n\r\n`), bytes, enc.encode("\r\n"));
  }
  if (close) chunks.push(enc.encode(`--${BOUNDARY}--\r\n`));
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.length);
  return out;
}

const file = (name: string, bytes: Uint8Array): [string, Uint8Array] => [
  `Content-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: application/octet-stream`,
  bytes,
];

function png(width: number, height: number, fill = 0): Uint8Array {
  return encodePng({
    width,
    height,
    data: new Uint8Array(width * height * 3).fill(fill),
    channels: 3,
    depth: 8,
  });
}

async function counts(s: TestService) {
  const [row] = rowsOf<Record<string, unknown>>(
    await s.deps.db.execute(
      sql`select (select count(*)::int from batches) as batches, (select count(*)::int from "references") as refs`,
    ),
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

testEachDatabase(
  "hostile multipart image uploads get a clear 4xx, bounded memory, and store nothing",
  async (db) => {
    const s = await startTestService(db, { requestsPerMinute: 0 });
    try {
      const ref = await (await postNpy(s, "/v1/references?name=f", npyOf(randomFeatures(5, 3, 1), 5, 3)))
        .json();
      const run = await (await postJson(s, "/v1/runs", { name: "r", reference: ref.id })).json();
      const before = await counts(s);
      const small = png(8, 8, 7);
      const bomb = png(4096, 4096); // ~49 KB that decodes to 50 MB of RGB, 201 MB as float32
      const corrupt = small.slice();
      corrupt[40] ^= 0xff;
      const type = `multipart/form-data; boundary=${BOUNDARY}`;
      const cases: [string, Uint8Array, string, number, string][] = [
        [
          "no boundary parameter",
          multipart([file("a", small)]),
          "multipart/form-data",
          400,
          "multipart_malformed",
        ],
        // A body cut off before its closing boundary may be a truncated upload: refused as a whole.
        ["no closing boundary", multipart([file("a", small)], false), type, 400, "multipart_malformed"],
        [
          "garbage after the content type",
          enc.encode("not multipart at all"),
          type,
          400,
          "multipart_malformed",
        ],
        [
          "only text fields",
          multipart([['Content-Disposition: form-data; name="x"', enc.encode("hello")]]),
          type,
          422,
          "no_images",
        ],
        [
          "a part that is an .npy, not an image",
          multipart([file("a", npyOf(randomFeatures(2, 3, 1), 2, 3))]),
          type,
          400,
          "image_unknown_format",
        ],
        ["a corrupt PNG", multipart([file("a", small), file("b", corrupt)]), type, 400, "image_corrupt"],
        [
          "images of different sizes",
          multipart([file("a", small), file("b", png(9, 8))]),
          type,
          422,
          "images_size_mismatch",
        ],
        [
          "4097 parts",
          multipart(Array.from({ length: 4097 }, (_, i) => file(`f${i}`, new Uint8Array(1)))),
          type,
          413,
          "too_many_images",
        ],
        [
          "one PNG declaring 5000 x 5000",
          multipart([file("a", png(5000, 5000))]),
          type,
          413,
          "image_too_many_pixels",
        ],
        [
          "eight PNGs declaring 4096 x 4096 each",
          multipart(Array.from({ length: 8 }, (_, i) => file(`f${i}`, bomb))),
          type,
          413,
          "images_too_many_pixels",
        ],
      ];
      const rss0 = Deno.memoryUsage().rss;
      let peak = rss0;
      const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 10);
      try {
        for (const [what, body, contentType, status, code] of cases) {
          for (const path of ["/v1/references?name=images", `/v1/runs/${run.id}/batches`]) {
            const res = await s.request(path, {
              method: "POST",
              body: body as BodyInit,
              headers: { "content-type": contentType, "idempotency-key": `k-${what}` },
            });
            const reply = await res.json();
            assert.deepEqual(
              [res.status, reply.error?.code],
              [status, code],
              `${what} -> ${path}: ${JSON.stringify(reply)}`,
            );
          }
        }
      } finally {
        clearInterval(sampler);
      }
      // Decoding all eight bombs would take 400 MB of pixels and 1.6 GB as float32; at most one is decoded now.
      assert.ok(peak - rss0 < 700e6, `RSS grew by ${((peak - rss0) / 1e6).toFixed(0)} MB`);
      assert.deepEqual(await counts(s), before);
    } finally {
      await s.close();
    }
  },
);
