/** Model uploads are hostile until proven otherwise: unsafe paths, bad sizes, unknown layers, bombs are refused. */
import assert from "node:assert/strict";
import { postJson } from "../_support/service.ts";
import { newRun, withService } from "../_support/vae_service.ts";
import { committedModel, uploadModel, zipOf } from "../_support/vae.ts";
import { testEachDatabase } from "../_support/databases.ts";
testEachDatabase(
  "hostile or broken model uploads are refused with a 4xx naming the problem, storing nothing",
  async (db) => {
    await withService(db, async (s) => {
      const run = await newRun(s);
      const model = committedModel("decoder");
      const withPaths = (paths: string[], extra: Record<string, Uint8Array> = {}) => {
        const json = JSON.parse(new TextDecoder().decode(model.get("model.json")!));
        json.weightsManifest[0].paths = paths;
        return new Map([
          ["model.json", new TextEncoder().encode(JSON.stringify(json))],
          ["weights.bin", model.get("weights.bin")!],
          ...Object.entries(extra),
        ]);
      };
      for (
        const path of [
          "../weights.bin",
          "/etc/passwd",
          "http://example.com/w.bin",
          "file:///etc/passwd",
          "a\\..\\w.bin",
          "%2e%2e/weights.bin",
          "sub/../../weights.bin",
        ]
      ) {
        const res = await uploadModel(s, run, "decoder", zipOf(withPaths([path]), "m/"));
        const err = (await res.json()).error;
        assert.equal(res.status, 422, path);
        assert.equal(err.code, "model_weight_path_unsafe", path);
        assert.ok(err.message.includes(path), `${err.message} should name ${path}`);
      }
      const missing = await uploadModel(s, run, "decoder", zipOf(withPaths(["other.bin"])));
      assert.deepEqual([missing.status, (await missing.json()).error.code], [
        422,
        "model_weight_file_missing",
      ]);

      const truncated = new Map(model);
      truncated.set("weights.bin", model.get("weights.bin")!.subarray(0, 1000));
      const short = await uploadModel(s, run, "decoder", zipOf(truncated));
      assert.deepEqual([short.status, (await short.json()).error.code], [422, "model_weights_size_mismatch"]);

      const custom = new TextDecoder().decode(model.get("model.json")!).replace(
        '"class_name":"Dense"',
        '"class_name":"MyFancyDense"',
      );
      const unknown = await uploadModel(
        s,
        run,
        "decoder",
        zipOf(new Map([...model, ["model.json", new TextEncoder().encode(custom)]])),
      );
      const unknownErr = (await unknown.json()).error;
      assert.deepEqual([unknown.status, unknownErr.code], [422, "model_unknown_layer"]);
      assert.match(unknownErr.message, /MyFancyDense/);

      const notJson = await uploadModel(
        s,
        run,
        "decoder",
        zipOf(new Map([...model, ["model.json", new TextEncoder().encode("{")]])),
      );
      assert.deepEqual([notJson.status, (await notJson.json()).error.code], [400, "model_json_invalid"]);
      const none = await uploadModel(
        s,
        run,
        "decoder",
        zipOf(new Map([["weights.bin", model.get("weights.bin")!]])),
      );
      assert.deepEqual([none.status, (await none.json()).error.code], [422, "model_json_missing"]);

      // A zip declaring more than the limit is refused before anything inflates.
      const bomb = zipOf(model);
      const view = new DataView(bomb.buffer, bomb.byteOffset, bomb.byteLength);
      for (let at = bomb.length - 22; at >= 0; at--) {
        if (view.getUint32(at, true) === 0x02014b50) view.setUint32(at + 24, 0x7fffffff, true);
      }
      const big = await uploadModel(s, run, "decoder", bomb);
      assert.deepEqual([big.status, (await big.json()).error.code], [413, "model_too_large"]);

      // A decoder whose input says nothing and no latent_dim: 422; a wrong latent_dim: 422.
      const wrong = await uploadModel(s, run, "decoder", zipOf(model), "?latent_dim=5");
      assert.deepEqual([wrong.status, (await wrong.json()).error.code], [422, "latent_dim_mismatch"]);
      // Options may also come in a fidstream.json inside the upload (it wins over the query).
      const withManifest = new Map([...model, [
        "fidstream.json",
        new TextEncoder().encode('{"latent_dim": 5}'),
      ]]);
      const fromFile = await uploadModel(s, run, "decoder", zipOf(withManifest, "d/"), "?latent_dim=8");
      assert.deepEqual([fromFile.status, (await fromFile.json()).error.code], [422, "latent_dim_mismatch"]);
      const badOption = await uploadModel(s, run, "decoder", zipOf(model), "?latnt_dim=8");
      assert.deepEqual([badOption.status, (await badOption.json()).error.code], [
        400,
        "model_option_unknown",
      ]);
      const role = await uploadModel(s, run, "generator" as "decoder", zipOf(model));
      assert.equal(role.status, 404);
      const wrongType = await s.request(`/v1/runs/${run}/models/decoder`, {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json" },
      });
      assert.equal(wrongType.status, 415);

      assert.deepEqual((await (await s.request(`/v1/runs/${run}/models`)).json()).models, []);
      // No decoder: grids are a 422 saying to upload one; bad grid requests are 400s.
      const noDecoder = await postJson(s, `/v1/runs/${run}/grids`, { kind: "samples" });
      assert.deepEqual([noDecoder.status, (await noDecoder.json()).error.code], [422, "decoder_missing"]);
      for (
        const body of [{ kind: "mosaic" }, { kind: "samples", n: 0 }, { kind: "samples", steps: 3 }, {
          kind: "dimensions",
          range: [3, -3],
        }]
      ) {
        assert.equal((await postJson(s, `/v1/runs/${run}/grids`, body)).status, 400, JSON.stringify(body));
      }
      assert.equal((await s.request(`/v1/runs/nope/images`)).status, 404);
      const doc = await (await s.request("/v1/openapi.json")).json();
      for (
        const path of [
          "/v1/runs/{id}/models/{role}",
          "/v1/runs/{id}/models",
          "/v1/runs/{id}/grids",
          "/v1/runs/{id}/images",
          "/v1/runs/{id}/images/{imageId}",
          "/v1/runs/{id}/generate",
        ]
      ) assert.ok(doc.paths[path], path);
    });
  },
);
