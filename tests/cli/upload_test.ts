import assert from "node:assert/strict";
import { parseNpy } from "../../src/tensors/npy.ts";
import { matrix, randomRows, runCli, tempFiles } from "./_cli.ts";

/** One request the fake server saw. */
interface Seen {
  at: number;
  path: string;
  key: string | null;
  auth: string | null;
  contentType: string | null;
  rows: number;
  data: number[];
}

type Reply = (seen: Seen, index: number) => Response | undefined;

/**
 * A loopback stand-in for the batches endpoint: records each request, answers through `reply` when it
 * returns a Response, else like the real server: idempotent per key, {"batch", "n"} with n = rows so far.
 */
function fakeServer(reply: Reply = () => undefined) {
  const seen: Seen[] = [];
  const accepted = new Map<string, { batch: number; n: number }>();
  let total = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    const a = parseNpy(body);
    const s: Seen = {
      at: performance.now(),
      path: new URL(req.url).pathname,
      key: req.headers.get("idempotency-key"),
      auth: req.headers.get("authorization"),
      contentType: req.headers.get("content-type"),
      rows: a.shape[0],
      data: [...a.data],
    };
    seen.push(s);
    const custom = reply(s, seen.length - 1);
    if (custom) return custom;
    let r = accepted.get(s.key!);
    if (!r) {
      total += s.rows;
      r = { batch: accepted.size + 1, n: total };
      accepted.set(s.key!, r);
    }
    return Response.json(r);
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function fileSha256(path: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("upload chunks files, retries a 503, sends stable idempotency keys and reports the last n", async () => {
  const t = await tempFiles();
  let failedOnce = false;
  const server = fakeServer(() => {
    if (failedOnce) return undefined;
    failedOnce = true;
    return Response.json({ error: { code: "database_unavailable", message: "retry shortly" } }, {
      status: 503,
      headers: { "Retry-After": "0" },
    });
  });
  try {
    const aRows = randomRows(25, 3, 1), bRows = randomRows(7, 3, 2);
    const a = await t.npy("a.npy", matrix(aRows));
    const b = await t.npy("b.npy", matrix(bRows));
    const args = ["upload", "--server", server.url, "--run", "run-1", a, b, "--chunk", "10"];
    const env = { FIDSTREAM_API_KEY: "s3cret" };
    const first = await runCli(args, env);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.json, { run: "run-1", files: 2, batches: 4, n: 32 });
    assert.equal(first.stdout.trim().split("\n").length, 1);
    // Not a terminal: one line per file on stderr, plus the retry note.
    assert.match(first.stderr, /a\.npy: 25 rows in 3 batches uploaded\n/);
    assert.match(first.stderr, /b\.npy: 7 rows in 1 batches uploaded\n/);
    assert.match(first.stderr, /a\.npy batch 1\/3: HTTP 503 database_unavailable: retry shortly; retrying/);

    const firstRun = server.seen.slice();
    assert.equal(firstRun.length, 5); // 4 chunks + 1 retry
    assert.equal(firstRun[0].key, firstRun[1].key, "the retry re-sends the same key");
    const sent = firstRun.slice(1);
    assert.deepEqual(sent.map((s) => s.rows), [10, 10, 5, 7]);
    assert.deepEqual(sent.flatMap((s) => s.data), [...aRows.flat(), ...bRows.flat()]);
    for (const s of firstRun) {
      assert.equal(s.path, "/v1/runs/run-1/batches");
      assert.equal(s.contentType, "application/x-npy");
      assert.equal(s.auth, "Bearer s3cret");
    }
    // Key = sha256(run id, file content hash, chunk index), as the CLI documents.
    const [ha, hb] = [await fileSha256(a), await fileSha256(b)];
    const expectedKeys = [
      await sha256Hex(`run-1\n${ha}\n0`),
      await sha256Hex(`run-1\n${ha}\n1`),
      await sha256Hex(`run-1\n${ha}\n2`),
      await sha256Hex(`run-1\n${hb}\n0`),
    ];
    assert.deepEqual(sent.map((s) => s.key), expectedKeys);

    // Running the same upload again sends the same keys; the server does not count them twice.
    const second = await runCli(args, env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.json, { run: "run-1", files: 2, batches: 4, n: 32 });
    assert.deepEqual(server.seen.slice(5).map((s) => s.key), expectedKeys);

    // Without the API key no Authorization header is sent; another run gets other keys.
    const other = await runCli(["upload", "--server", server.url + "/", "--run", "run 2", b]);
    assert.equal(other.code, 0, other.stderr);
    const last = server.seen[server.seen.length - 1];
    assert.equal(last.auth, null);
    assert.equal(last.path, "/v1/runs/run%202/batches");
    assert.notEqual(last.key, expectedKeys[3]);
  } finally {
    await server.close();
    await t.cleanup();
  }
});

Deno.test("upload honours Retry-After on 429", async () => {
  const t = await tempFiles();
  const server = fakeServer((_, i) =>
    i === 0
      ? Response.json({ error: { code: "rate_limited", message: "slow down" } }, {
        status: 429,
        headers: { "Retry-After": "1" },
      })
      : undefined
  );
  try {
    const a = await t.npy("a.npy", matrix(randomRows(3, 2, 1)));
    const r = await runCli(["upload", "--server", server.url, "--run", "r", a, "--retry-delay", "0"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.seen.length, 2);
    const waited = server.seen[1].at - server.seen[0].at;
    assert.ok(waited >= 900, `waited only ${waited} ms`);
    assert.deepEqual(r.json, { run: "r", files: 1, batches: 1, n: 3 });
  } finally {
    await server.close();
    await t.cleanup();
  }
});

Deno.test("upload stops at once with the server's message on a 4xx other than 429", async () => {
  const t = await tempFiles();
  const server = fakeServer(() =>
    Response.json({
      error: { code: "feature_dim_mismatch", message: "features have D = 2 columns; expected D = 2048" },
    }, {
      status: 422,
    })
  );
  try {
    const a = await t.npy("a.npy", matrix(randomRows(3, 2, 1)));
    const r = await runCli(["upload", "--server", server.url, "--run", "r", a]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 422 feature_dim_mismatch: features have D = 2 columns; expected D = 2048/);
    assert.equal(server.seen.length, 1);
    assert.equal(r.stdout, "");
  } finally {
    await server.close();
    await t.cleanup();
  }
});

Deno.test("upload gives up after --retries on persistent 5xx and on network errors", async () => {
  const t = await tempFiles();
  const server = fakeServer(() => new Response("boom", { status: 500 }));
  try {
    const a = await t.npy("a.npy", matrix(randomRows(3, 2, 1)));
    const upload = (retries: number) =>
      runCli([
        "upload",
        "--server",
        server.url,
        "--run",
        "r",
        a,
        "--retries",
        `${retries}`,
        "--retry-delay",
        "1",
      ]);
    const r = await upload(2);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /gave up after 3 attempts; last error: HTTP 500: boom/);
    assert.equal(server.seen.length, 3);

    await server.close();
    const down = await upload(1);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /gave up after 2 attempts; last error: network error/);
  } finally {
    await server.close().catch(() => {});
    await t.cleanup();
  }
});

Deno.test("upload validates every file before sending anything; usage mistakes exit 2", async () => {
  const t = await tempFiles();
  const server = fakeServer();
  try {
    const good = await t.npy("good.npy", matrix(randomRows(3, 2, 1)));
    const bad = await t.npy("bad.npy", { dtype: "uint8", shape: [2, 2], data: new Uint8Array(4) });
    const r = await runCli(["upload", "--server", server.url, "--run", "r", good, bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.npy: features must be float32 or float64/);
    assert.equal(server.seen.length, 0);
    const wide = await t.npy("wide.npy", matrix(randomRows(3, 5, 1)));
    const mixed = await runCli(["upload", "--server", server.url, "--run", "r", good, wide]);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /wide\.npy has D = 5 but .*good\.npy has D = 2/);
    assert.equal(server.seen.length, 0);

    for (
      const argv of [
        ["upload", "--run", "r", good],
        ["upload", "--server", server.url, good],
        ["upload", "--server", server.url, "--run", "r"],
        ["upload", "--server", server.url, "--run", "r", good, "--chunk", "0"],
        ["upload", "--server", "not a url", "--run", "r", good],
      ]
    ) {
      const u = await runCli(argv);
      assert.equal(u.code, 2, argv.join(" ") + "\n" + u.stderr);
      assert.match(u.stderr, /usage: deno task cli upload/);
    }
    assert.equal(server.seen.length, 0);
  } finally {
    await server.close();
    await t.cleanup();
  }
});
