/**
 * The listener over real sockets: requests and streamed responses pass through; half-sent headers, oversized
 * headers and stalled bodies are cut off with a JSON error; bodies are read as they arrive; a body the handler
 * refused unread closes its connection; a client that goes away cancels its response stream.
 */
import assert from "node:assert/strict";
import { listen, type Listener } from "../../functions/listener.ts";

const enc = new TextEncoder();

/** Opens a raw connection to the listener and writes `text`. */
async function rawConnect(l: Listener, text: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: l.port });
  if (text) await conn.write(enc.encode(text));
  return conn;
}

/** Everything the server sends until it closes the connection (or `ms` pass: then null). */
async function readUntilClosed(conn: Deno.Conn, ms: number): Promise<string | null> {
  const dec = new TextDecoder();
  let text = "";
  const buf = new Uint8Array(65536);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const n = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(1, deadline - Date.now()))),
    ]);
    if (n === "timeout") return null;
    if (n === null) return text;
    text += dec.decode(buf.subarray(0, n));
  }
  return null;
}

/** Status and JSON body of a raw HTTP/1.1 answer (Content-Length or chunked). */
function jsonOf(raw: string): { status: number; body: { error: { code: string; message: string } } } {
  const status = Number(raw.split(" ")[1]);
  const cut = raw.indexOf("\r\n\r\n");
  let body = raw.slice(cut + 4);
  if (/transfer-encoding: chunked/i.test(raw.slice(0, cut))) {
    let text = "";
    while (true) {
      const eol = body.indexOf("\r\n");
      const size = parseInt(body.slice(0, eol), 16);
      if (!size) break;
      text += body.slice(eol + 2, eol + 2 + size);
      body = body.slice(eol + 2 + size + 2);
    }
    body = text;
  }
  return { status, body: JSON.parse(body) };
}

async function withListener(
  handler: (req: Request) => Response | Promise<Response>,
  limits: Parameters<typeof listen>[1]["limits"],
  fn: (l: Listener) => Promise<void>,
) {
  const l = await listen(handler, { port: 0, hostname: "127.0.0.1", limits });
  try {
    await fn(l);
  } finally {
    await l.shutdown(1000);
  }
}

Deno.test({
  name: "requests, bodies and streamed responses pass through the listener unchanged",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withListener(
      async (req) => {
        if (req.method === "POST") {
          const bytes = new Uint8Array(await req.arrayBuffer());
          let sum = 0;
          for (const b of bytes) sum = (sum + b) % 65521;
          return Response.json({ n: bytes.length, sum, type: req.headers.get("content-type") });
        }
        if (new URL(req.url).pathname === "/stream") {
          let i = 0;
          return new Response(
            new ReadableStream({
              async pull(c) {
                await new Promise((r) => setTimeout(r, 5));
                if (i === 3) return c.close();
                c.enqueue(enc.encode(`part ${i++}\n`));
              },
            }),
            { headers: { "x-multi": "a", "set-cookie": "k=v" } },
          );
        }
        return new Response(`hello ${new URL(req.url).search}`, { status: 201 });
      },
      {},
      async (l) => {
        const get = await fetch(`${l.url}/x?q=1`);
        assert.equal(get.status, 201);
        assert.equal(await get.text(), "hello ?q=1");
        // 8 MB in odd-sized pieces, checksummed on both sides.
        const body = new Uint8Array(8_000_003).map((_, i) => (i * 7919) % 251);
        let sum = 0;
        for (const b of body) sum = (sum + b) % 65521;
        const post = await fetch(`${l.url}/up`, {
          method: "POST",
          body,
          headers: { "content-type": "application/x-npy" },
        });
        assert.deepEqual(await post.json(), { n: body.length, sum, type: "application/x-npy" });
        const stream = await fetch(`${l.url}/stream`);
        assert.equal(stream.headers.get("set-cookie"), "k=v");
        assert.equal(await stream.text(), "part 0\npart 1\npart 2\n");
        const head = await fetch(`${l.url}/x`, { method: "HEAD" });
        assert.equal(head.status, 201);
        assert.equal(await head.text(), "");
      },
    ),
});

Deno.test({
  name: "headers not complete within the header timeout get a 408 JSON error and a closed connection",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withListener(() => new Response("ok"), { headerTimeoutMs: 500 }, async (l) => {
      const t0 = performance.now();
      const conns = await Promise.all(
        Array.from({ length: 50 }, () => rawConnect(l, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a")),
      );
      const answers = await Promise.all(conns.map((c) => readUntilClosed(c, 5000)));
      const elapsed = performance.now() - t0;
      for (const c of conns) c.close();
      for (const a of answers) {
        assert.ok(a !== null, "every half-sent request is closed");
        const { status, body } = jsonOf(a);
        assert.deepEqual([status, body.error.code], [408, "header_timeout"]);
      }
      assert.ok(elapsed < 3000, `closed after ${elapsed.toFixed(0)} ms`);
      // The listener still serves.
      assert.equal(await (await fetch(`${l.url}/`)).text(), "ok");
    }),
});

Deno.test({
  name: "oversized headers get a 431 JSON error naming the limit",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withListener(() => new Response("ok"), { maxHeaderBytes: 8192 }, async (l) => {
      for (const header of ["Idempotency-Key", "Authorization"]) {
        const conn = await rawConnect(
          l,
          `POST / HTTP/1.1\r\nHost: x\r\n${header}: ${"k".repeat(100_000)}\r\n\r\n`,
        );
        const raw = await readUntilClosed(conn, 5000);
        conn.close();
        assert.ok(raw !== null, header);
        const { status, body } = jsonOf(raw);
        assert.deepEqual([status, body.error.code], [431, "headers_too_large"], header);
        assert.match(body.error.message, /8192 bytes/);
      }
    }),
});

Deno.test({
  name: "a body that stalls gets a 408 JSON error once no byte came for the idle timeout",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    let handlerSaw = "";
    await withListener(
      async (req) => {
        try {
          await req.arrayBuffer();
          handlerSaw = "complete";
        } catch {
          handlerSaw = "failed";
        }
        return new Response("read", { status: 200 });
      },
      { bodyIdleTimeoutMs: 400 },
      async (l) => {
        const t0 = performance.now();
        const conn = await rawConnect(
          l,
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 268435000\r\n\r\nabcdef",
        );
        const raw = await readUntilClosed(conn, 5000);
        conn.close();
        assert.ok(raw !== null, "the connection is closed");
        const { status, body } = jsonOf(raw);
        assert.deepEqual([status, body.error.code], [408, "body_timeout"]);
        assert.equal(handlerSaw, "failed", "the handler's read fails instead of waiting for ever");
        assert.ok(performance.now() - t0 < 3000);
      },
    );
  },
});

Deno.test({
  name:
    "a slow handler is not the client's stall: the idle clock runs only while the handler waits for bytes",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withListener(
      async (req) => {
        await new Promise((r) => setTimeout(r, 800)); // longer than the idle timeout, before reading
        return new Response(String((await req.arrayBuffer()).byteLength));
      },
      { bodyIdleTimeoutMs: 300 },
      async (l) => {
        const res = await fetch(l.url, { method: "POST", body: new Uint8Array(100_000) });
        assert.deepEqual([res.status, await res.text()], [200, "100000"]);
      },
    ),
});

Deno.test({
  name:
    "a body refused before it was read: the answer arrives whole, then the connection is cut if it drags on",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withListener(
      () => Response.json({ error: { code: "nope", message: "refused" } }, { status: 413 }),
      {},
      async (l) => {
        // A client that claims a large body and stops sending: answered, then cut after the linger time.
        const conn = await rawConnect(l, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc");
        const t0 = performance.now();
        const raw = await readUntilClosed(conn, 6000);
        conn.close();
        assert.ok(raw !== null, "closed without waiting for the rest of the body");
        assert.equal(jsonOf(raw).status, 413);
        assert.ok(performance.now() - t0 < 4000);
        // A client still pushing 64 MB when the refusal comes reads the refusal, not a reset.
        for (let i = 0; i < 3; i++) {
          const res = await fetch(l.url, { method: "POST", body: new Uint8Array(64 << 20) });
          assert.deepEqual([res.status, (await res.json()).error.code], [413, "nope"]);
        }
      },
    ),
});

Deno.test({
  name: "a client that goes away cancels its streamed response",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    let cancelled: () => void;
    const wasCancelled = new Promise<void>((r) => (cancelled = r));
    await withListener(
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(enc.encode("event: hello\n\n"));
            },
            cancel() {
              cancelled();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
      {},
      async (l) => {
        const ac = new AbortController();
        const res = await fetch(l.url, { signal: ac.signal });
        const reader = res.body!.getReader();
        await reader.read();
        ac.abort();
        await Promise.race([
          wasCancelled,
          new Promise((_, reject) => setTimeout(() => reject(new Error("stream not cancelled")), 3000)),
        ]);
      },
    );
  },
});
