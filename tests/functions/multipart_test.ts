/**
 * The streaming multipart reader: the same parts as the platform's own FormData parser for bodies cut into any
 * chunks, and every limit enforced as the bytes arrive (the reader stops pulling at the first violation).
 */
import assert from "node:assert/strict";
import { multipartBoundary, readMultipart } from "../../functions/multipart.ts";
import { mulberry32 } from "../../src/stats/mulberry32.ts";

const enc = new TextEncoder();

/** A stream of `bytes` in chunks of the given sizes (cycled), counting how many bytes were pulled. */
function chunked(
  bytes: Uint8Array,
  sizes: number[],
): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let at = 0, k = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      const n = sizes[k++ % sizes.length];
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => Math.min(at, bytes.length) };
}

/** A body built by the platform's own encoder (Request with FormData). */
async function formBody(form: FormData): Promise<{ body: Uint8Array; type: string }> {
  const req = new Request("http://x/", { method: "POST", body: form });
  return { body: new Uint8Array(await req.arrayBuffer()), type: req.headers.get("content-type")! };
}

Deno.test("parts match the platform's FormData parser for any chunking", async () => {
  const rand = mulberry32(7);
  for (let trial = 0; trial < 20; trial++) {
    const form = new FormData();
    const parts = 1 + Math.floor(rand() * 6);
    for (let p = 0; p < parts; p++) {
      const size = Math.floor(rand() * (p === 0 ? 70_000 : 300));
      // Bytes that look like boundaries, CRLFs and dashes are the interesting ones.
      const bytes = Uint8Array.from({ length: size }, () => [13, 10, 45, 0, 255, 65][Math.floor(rand() * 6)]);
      if (rand() < 0.3) form.append(`field${p}`, `text "${p}" \u00e9`);
      else form.append(`file${p}`, new File([bytes], `name ${p}.bin`, { type: "application/octet-stream" }));
    }
    const { body, type } = await formBody(form);
    const expected = await new Response(body as BodyInit, { headers: { "content-type": type } }).formData();
    const sizes = [[1], [2, 3, 5], [64 * 1024], [Math.floor(1 + rand() * 100)]][trial % 4];
    const got = await readMultipart(chunked(body, sizes).stream, multipartBoundary(type), {
      maxParts: 10,
      maxBytes: 1 << 24,
    });
    const want = [...expected.entries()];
    assert.equal(got.length, want.length);
    for (const [i, [name, value]] of want.entries()) {
      assert.equal(got[i].name, name);
      if (typeof value === "string") {
        assert.equal(got[i].filename, undefined);
        assert.equal(new TextDecoder().decode(got[i].bytes), value);
      } else {
        assert.equal(got[i].filename, value.name);
        assert.deepEqual(got[i].bytes, new Uint8Array(await value.arrayBuffer()));
      }
    }
  }
});

Deno.test("the part after maxParts is refused as it starts, without reading the rest of the body", async () => {
  const boundary = "b0undary";
  const part = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n\r\n`,
  );
  const count = 200_000;
  const body = new Uint8Array(part.length * count + boundary.length + 6);
  for (let i = 0; i < count; i++) body.set(part, i * part.length);
  body.set(enc.encode(`--${boundary}--\r\n`), part.length * count);
  const { stream, pulled } = chunked(body, [64 * 1024]);
  const t0 = performance.now();
  await assert.rejects(
    readMultipart(stream, boundary, {
      maxParts: 4096,
      maxBytes: 1 << 30,
      tooManyParts: (max) => Object.assign(new Error(`over ${max}`), { code: "too_many" }),
    }),
    /over 4096/,
  );
  assert.ok(pulled() < 4097 * part.length + 2 * 64 * 1024, `pulled ${pulled()} of ${body.length} bytes`);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("malformed bodies and bodies over the limits are 4xx errors naming the problem", async () => {
  const b = "XyZ";
  const cases: [string, string, Partial<Parameters<typeof readMultipart>[2]>, RegExp][] = [
    [
      "no closing boundary",
      `--${b}\r\nContent-Disposition: form-data; name="a"\r\n\r\nabc`,
      {},
      /closing boundary/,
    ],
    ["no boundary at all", "just some text", {}, /closing boundary/],
    [
      "a part without Content-Disposition",
      `--${b}\r\nContent-Type: x\r\n\r\nabc\r\n--${b}--`,
      {},
      /Disposition/,
    ],
    ["a part without headers", `--${b}\r\n\r\nabc\r\n--${b}--`, {}, /Disposition/],
    [
      "part headers over the limit",
      `--${b}\r\nContent-Disposition: form-data; name="${"n".repeat(20_000)}"\r\n\r\nx\r\n--${b}--`,
      {},
      /headers are over/,
    ],
    ["a boundary not followed by CRLF", `--${b}garbage\r\n`, {}, /not followed by CRLF/],
    [
      "a body over maxBytes",
      `--${b}\r\nContent-Disposition: form-data; name="a"\r\n\r\n${"x".repeat(5000)}\r\n--${b}--`,
      { maxBytes: 1000 },
      /over the limit of 1000 bytes/,
    ],
  ];
  for (const [what, text, limits, message] of cases) {
    await assert.rejects(
      readMultipart(chunked(enc.encode(text), [7]).stream, b, { maxParts: 10, maxBytes: 1 << 20, ...limits }),
      (e: Error & { code?: string }) => message.test(e.message) && typeof e.code === "string",
      what,
    );
  }
  assert.throws(() => multipartBoundary("multipart/form-data"), /names no boundary/);
  assert.equal(multipartBoundary('multipart/form-data; boundary="a b;c"'), "a b;c");
});

Deno.test("every chunk is offered to onBytes before it is kept (a budget can refuse it)", async () => {
  const { body, type } = await formBody((() => {
    const f = new FormData();
    f.append("a", new File([new Uint8Array(50_000)], "a.bin"));
    return f;
  })());
  let seen = 0;
  await assert.rejects(
    readMultipart(chunked(body, [1000]).stream, multipartBoundary(type), {
      maxParts: 4,
      maxBytes: 1 << 20,
      onBytes: (n) => {
        seen += n;
        if (seen > 10_000) throw new Error("budget exhausted");
      },
    }),
    /budget exhausted/,
  );
  assert.ok(seen <= 11_000);
});
