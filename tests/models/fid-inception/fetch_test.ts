/** models:fetch against a local HTTP server on 127.0.0.1 (no outside network), serving small synthetic .pth files. */
import assert from "node:assert/strict";
import { PayloadTooLargeError, UnavailableError, UnprocessableError } from "../../../src/errors.ts";
import {
  fetchFidInceptionWeights,
  FID_WEIGHTS_SHA256_PREFIX,
  FID_WEIGHTS_URL,
} from "../../../models/fid-inception/fetch.ts";
import type { FoldLayout } from "../../../models/fid-inception/state_dict_keys.ts";
import { FID_WEIGHTS_FILE, loadFolded } from "../../../models/fid-inception/weights_format.ts";
import { buildZipCheckpoint, storage, type TestValue } from "../../../tools/torch_checkpoint_writer.ts";

const LAYOUT: FoldLayout = {
  convs: [{ name: "Conv2d_1a_3x3", inChannels: 1, outChannels: 2, kernel: [1, 2] }],
  fc: { inFeatures: 2, outFeatures: 1 },
};
// conv weight [2, 1, 1, 2], bn gamma/beta/mean/var [2], fc [1, 2] + [1]; float32 values, as stored.
const f32 = (xs: number[]) => xs.map(Math.fround);
const W = f32([0.5, -1, 2, 0.25]), GAMMA = f32([2, 0.5]), BETA = f32([0.1, -0.2]), MEAN = f32([1, -1]);
const VAR = f32([3, 0.999]), FC = f32([7, 8]), FCB = f32([9]);

function checkpoint(): Uint8Array {
  const t = (key: string, values: number[], shape: number[]): TestValue => ({
    tensor: {
      storage: storage(key, "FloatStorage", values),
      offset: 0,
      shape,
      stride: shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)),
    },
  });
  return buildZipCheckpoint({
    testDict: [
      ["Conv2d_1a_3x3.conv.weight", t("0", W, [2, 1, 1, 2])],
      ["Conv2d_1a_3x3.bn.weight", t("1", GAMMA, [2])],
      ["Conv2d_1a_3x3.bn.bias", t("2", BETA, [2])],
      ["Conv2d_1a_3x3.bn.running_mean", t("3", MEAN, [2])],
      ["Conv2d_1a_3x3.bn.running_var", t("4", VAR, [2])],
      ["fc.weight", t("5", FC, [1, 2])],
      ["fc.bias", t("6", FCB, [1])],
    ],
  });
}

async function sha256Hex(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return [...d].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** A local server: /w.pth serves `body`; anything else is 404. Counts requests. */
function serve(body: Uint8Array) {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    requests++;
    return new URL(req.url).pathname === "/w.pth"
      ? new Response(body as Uint8Array<ArrayBuffer>)
      : new Response("no", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, requests: () => requests, close: () => server.shutdown() };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("the default URL and checksum prefix are pytorch-fid's", () => {
  assert.equal(
    FID_WEIGHTS_URL,
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
  );
  assert.equal(FID_WEIGHTS_SHA256_PREFIX, "6726825d");
  assert.ok(FID_WEIGHTS_URL.endsWith(`/${FID_WEIGHTS_FILE}`));
});

Deno.test("a download whose sha256 does not start with 6726825d is rejected and deleted", async () => {
  const body = checkpoint();
  assert.ok(!(await sha256Hex(body)).startsWith("6726825d"));
  const srv = serve(body);
  const dataDir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      fetchFidInceptionWeights({ url: `${srv.base}/w.pth`, dataDir, layout: LAYOUT }),
      (e: unknown) => {
        assert.ok(e instanceof UnprocessableError);
        assert.equal(e.code, "fid_weights_checksum_mismatch");
        assert.match(e.message, /does not start with 6726825d/);
        return true;
      },
    );
    assert.equal(srv.requests(), 1);
    const left = [...Deno.readDirSync(`${dataDir}/models`)].map((e) => e.name);
    assert.deepEqual(left, [], "no partial or final file is left behind");
  } finally {
    await srv.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("happy path: download, verify (injected prefix), store and convert; a second run reuses the file", async () => {
  const body = checkpoint();
  const sha = await sha256Hex(body);
  const srv = serve(body);
  const dataDir = await Deno.makeTempDir();
  const lines: string[] = [];
  try {
    const opts = {
      url: `${srv.base}/w.pth`,
      dataDir,
      layout: LAYOUT,
      expectedSha256Prefix: sha.slice(0, 8),
      log: (l: string) => lines.push(l),
    };
    const r = await fetchFidInceptionWeights(opts);
    assert.equal(r.downloaded, true);
    assert.equal(r.sha256, sha);
    assert.equal(r.pthPath, `${dataDir}/models/${FID_WEIGHTS_FILE}`);
    assert.equal(r.weightsDir, `${dataDir}/models/fid-inception`);
    assert.deepEqual(await Deno.readFile(r.pthPath), body);
    assert.ok(!(await exists(`${r.pthPath}.partial`)));

    const w = await loadFolded(r.weightsDir, { layout: LAYOUT, verify: true });
    // Folded by hand: scale_o = gamma_o / sqrt(var_o + 0.001); HWIO [1, 2, 1, 2] index = x * 2 + o.
    const scale = [0, 1].map((o) => GAMMA[o] / Math.sqrt(VAR[o] + 0.001));
    const filter = w.get("Conv2d_1a_3x3.weight")!;
    assert.deepEqual(filter.shape, [1, 2, 1, 2]);
    for (let o = 0; o < 2; o++) {
      for (let x = 0; x < 2; x++) assert.equal(filter.data[x * 2 + o], Math.fround(W[o * 2 + x] * scale[o]));
      assert.equal(w.get("Conv2d_1a_3x3.bias")!.data[o], Math.fround(BETA[o] - MEAN[o] * scale[o]));
    }
    assert.deepEqual([...w.get("fc.weight")!.data], FC);
    assert.deepEqual([...w.get("fc.bias")!.data], FCB);
    const manifest = JSON.parse(await Deno.readTextFile(`${r.weightsDir}/manifest.json`));
    assert.equal(manifest.source.sha256, sha);

    // Second run: the verified file is reused, no request is made, the conversion is redone.
    const again = await fetchFidInceptionWeights(opts);
    assert.equal(again.downloaded, false);
    assert.equal(srv.requests(), 1);
    // --force downloads again.
    assert.equal((await fetchFidInceptionWeights({ ...opts, force: true })).downloaded, true);
    assert.equal(srv.requests(), 2);
    assert.ok(lines.some((l) => l.includes("already here")));
  } finally {
    await srv.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("HTTP errors, unreachable hosts and oversized bodies are typed errors that leave no file", async () => {
  const srv = serve(checkpoint());
  const dataDir = await Deno.makeTempDir();
  try {
    await assert.rejects(fetchFidInceptionWeights({ url: `${srv.base}/missing`, dataDir }), (e: unknown) => {
      assert.ok(e instanceof UnavailableError);
      assert.match((e as Error).message, /HTTP 404/);
      return true;
    });
    await assert.rejects(
      fetchFidInceptionWeights({ url: `${srv.base}/w.pth`, dataDir, maxBytes: 100 }),
      PayloadTooLargeError,
    );
    // A port nothing listens on (the server we just closed).
    const closed = serve(new Uint8Array(0));
    await closed.close();
    await assert.rejects(
      fetchFidInceptionWeights({ url: `${closed.base}/w.pth`, dataDir }),
      UnavailableError,
    );
    assert.deepEqual([...Deno.readDirSync(`${dataDir}/models`)], []);
  } finally {
    await srv.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("`deno run models/fid-inception/fetch.ts` (the models:fetch task) exits 1 with the checksum message", async () => {
  const srv = serve(checkpoint());
  const dataDir = await Deno.makeTempDir();
  try {
    const script = new URL("../../../models/fid-inception/fetch.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--url", `${srv.base}/w.pth`, `--data-dir=${dataDir}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /models:fetch failed: .*does not start with 6726825d/);
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--bogus"],
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 1);
    assert.match(new TextDecoder().decode(bad.stderr), /unknown argument --bogus/);
  } finally {
    await srv.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
