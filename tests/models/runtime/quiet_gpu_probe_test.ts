/** The WebGPU adapter probe says nothing on a headless machine (no "XDG_RUNTIME_DIR is invalid" lines). */
import assert from "node:assert/strict";
import { HEADLESS_WAYLAND_DISPLAY, quietHeadlessGpuProbe } from "../../../models/runtime/quiet_gpu_probe.ts";
import { digitImages, digitsNpy } from "../../_support/digits.ts";
import { tempFiles } from "../../cli/_cli.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

function fakeEnv(vars: Record<string, string>) {
  const map = new Map(Object.entries(vars));
  return { map, get: (k: string) => map.get(k), set: (k: string, v: string) => void map.set(k, v) };
}

Deno.test("a headless process gets a Wayland display that cannot exist; a real session is left alone", () => {
  const headless = fakeEnv({});
  quietHeadlessGpuProbe(headless);
  assert.equal(headless.map.get("WAYLAND_DISPLAY"), HEADLESS_WAYLAND_DISPLAY);
  const invalid = fakeEnv({ XDG_RUNTIME_DIR: "relative/dir" });
  quietHeadlessGpuProbe(invalid);
  assert.equal(
    invalid.map.get("WAYLAND_DISPLAY"),
    HEADLESS_WAYLAND_DISPLAY,
    "libwayland wants an absolute dir",
  );
  const sessions: Record<string, string>[] = [
    { XDG_RUNTIME_DIR: "/run/user/1000" },
    { WAYLAND_DISPLAY: "wayland-1" },
    { WAYLAND_SOCKET: "3" },
  ];
  for (const vars of sessions) {
    const env = fakeEnv(vars);
    quietHeadlessGpuProbe(env);
    assert.deepEqual(Object.fromEntries(env.map), vars);
  }
});

Deno.test({
  name: "image extraction on the auto backend prints no XDG_RUNTIME_DIR error, though a bare probe would",
  sanitizeResources: false,
  fn: async () => {
    const env = Deno.env.toObject();
    delete env.XDG_RUNTIME_DIR,
      delete env.WAYLAND_DISPLAY,
      delete env.WAYLAND_SOCKET,
      delete env.FIDSTREAM_BACKEND;
    // The control: asking for an adapter without the quieting, as the process did before.
    const bare = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' })"],
      env,
      clearEnv: true,
      stdout: "null",
      stderr: "piped",
    }).output();
    const bareErr = new TextDecoder().decode(bare.stderr);
    if (!/XDG_RUNTIME_DIR/.test(bareErr)) {
      console.warn(
        "note: this machine's Vulkan drivers print nothing for a bare probe; the check below still runs",
      );
    }
    const t = await tempFiles();
    try {
      const input = `${t.dir}/digits.npy`;
      await Deno.writeFile(input, digitsNpy(digitImages(8)));
      const out = `${t.dir}/features.npy`;
      // clearEnv: this test process may itself have probed (and set WAYLAND_DISPLAY) already.
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "cli/main.ts",
          "features",
          input,
          "--model",
          "mnist-lenet",
          "--out",
          out,
          "--workers",
          "2",
        ],
        cwd: ROOT,
        env: { ...env, NO_COLOR: "1" },
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 0, stderr);
      assert.doesNotMatch(stderr, /XDG_RUNTIME_DIR/);
    } finally {
      await t.cleanup();
    }
  },
});
