/** Process configuration: FIDSTREAM_GPU_HOST lists one or more GPU hosts. */
import assert from "node:assert/strict";
import { configFromEnv, gpuHostUrls } from "../../functions/config.ts";

Deno.test("FIDSTREAM_GPU_HOST takes a comma-separated list of http(s) hosts and refuses anything else", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(configFromEnv(env({})).gpuHost, undefined);
  assert.equal(configFromEnv(env({ FIDSTREAM_GPU_HOST: " , " })).gpuHost, undefined);
  const one = configFromEnv(env({ FIDSTREAM_GPU_HOST: "http://gpu-a:8100" })).gpuHost!;
  assert.deepEqual([one.urls, one.timeoutMs, one.token], [["http://gpu-a:8100"], 120_000, undefined]);
  const two = configFromEnv(env({
    FIDSTREAM_GPU_HOST: "http://gpu-a:8100, https://gpu-b.example/ ",
    FIDSTREAM_GPU_HOST_TOKEN: "t",
    FIDSTREAM_GPU_HOST_TIMEOUT_MS: "500",
  })).gpuHost!;
  assert.deepEqual(two, {
    urls: ["http://gpu-a:8100", "https://gpu-b.example/"],
    token: "t",
    timeoutMs: 500,
  });
  assert.throws(() => gpuHostUrls("http://a:1,gpu-b:8100"), /"gpu-b:8100" is not one/);
  assert.throws(() => gpuHostUrls("ftp://a"), /http\(s\) URLs/);
});
