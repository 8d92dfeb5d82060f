/** The operator token (the CLI beside a PGlite server) manages any project's keys, and does nothing else. */
import assert from "node:assert/strict";
import {
  newOperatorToken,
  PROJECT_HEADER,
  readOperatorFile,
  writeOperatorFile,
} from "../../../functions/auth/operator.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import { startTestService } from "../../_support/service.ts";

testEachDatabase("the operator token is admin of the project it names, on /v1/admin only", async (db) => {
  const token = newOperatorToken();
  for (const auth of ["on", "off"] as const) {
    const s = await startTestService(db, { auth, operatorToken: token });
    try {
      const as = (bearer: string, path: string, init: RequestInit = {}, project = "vision") =>
        s.request(path, {
          ...init,
          headers: { authorization: `Bearer ${bearer}`, [PROJECT_HEADER]: project },
        });
      const made = await as(token, "/v1/admin/keys", { method: "POST", body: '{"scope":"read"}' });
      assert.equal(made.status, 201, `auth ${auth}`);
      assert.equal((await made.json()).project, "vision", "the header names the project, auth on or off");
      const listed = await (await as(token, "/v1/admin/keys", {}, "other")).json();
      assert.deepEqual(listed.keys, [], "another project's keys stay apart");
      if (auth === "on") {
        assert.equal((await as(token, "/v1/runs")).status, 401, "outside /v1/admin the token is no key");
        assert.equal(
          (await as(newOperatorToken(), "/v1/admin/keys")).status,
          401,
          "another token is refused",
        );
        assert.equal((await as(token, "/v1/admin/keys", {}, "bad project!")).status, 400);
      }
    } finally {
      await s.close();
    }
  }
});

Deno.test("the operator file is written for its owner only and read back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const remove = await writeOperatorFile(dir, { url: "http://127.0.0.1:1", pid: 1, token: "fso_x" });
    assert.deepEqual(await readOperatorFile(dir), { url: "http://127.0.0.1:1", pid: 1, token: "fso_x" });
    assert.equal((await Deno.stat(`${dir}/fidstream-server.json`)).mode! & 0o777, 0o600);
    await remove();
    assert.equal(await readOperatorFile(dir), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
