/** SSE event ids name a metrics snapshot; a client reconnecting with Last-Event-ID gets only what is newer. */
import assert from "node:assert/strict";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { postJson, postNpy, testEachService, type TestService } from "../../_support/service.ts";

const D = 3;

/** The first event of a fresh connection (sending Last-Event-ID when given), with its id. */
async function firstEvent(s: TestService, runId: string, lastEventId?: string) {
  const res = await s.request(`/v1/runs/${runId}/events`, {
    headers: lastEventId ? { "last-event-id": lastEventId } : {},
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!/\n\n/.test(text.replace(/^:[^\n]*\n\n/gm, ""))) text += (await reader.read()).value ?? "";
  } finally {
    await reader.cancel();
  }
  const block = text.replace(/^:[^\n]*\n\n/gm, "").split("\n\n")[0];
  const field = (name: string) => block.match(new RegExp(`^${name}: ?(.*)$`, "m"))?.[1];
  return { event: field("event"), id: field("id"), data: JSON.parse(field("data") ?? "null") };
}

async function waitForN(s: TestService, runId: string, n: number) {
  for (let i = 0; i < 500; i++) {
    if ((await (await s.request(`/v1/runs/${runId}`)).json()).latest?.n === n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no metrics at n=${n}`);
}

testEachService(
  "a reconnect with Last-Event-ID skips the snapshot it has and gets the next one",
  async (s) => {
    const ref = await (await postNpy(s, "/v1/references?name=r", npyOf(randomFeatures(30, D, 1), 30, D)))
      .json();
    const run = await (await postJson(s, "/v1/runs", { name: "r", reference: ref.id })).json();
    await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(randomFeatures(10, D, 2), 10, D), "a");
    await waitForN(s, run.id, 10);
    const first = await firstEvent(s, run.id);
    assert.equal(first.event, "metrics");
    assert.equal(first.id, first.data.at, "the id is the snapshot's time");
    assert.deepEqual(
      (await firstEvent(s, run.id, "an id from elsewhere")).data,
      first.data,
      "unknown id: resent",
    );

    const next = firstEvent(s, run.id, first.id);
    await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(randomFeatures(10, D, 3), 10, D), "b");
    const after = await next;
    assert.equal(
      after.data.n,
      20,
      "the first event after the reconnect is the new snapshot, not the old one",
    );

    await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" });
    const final = await firstEvent(s, run.id, after.id);
    assert.deepEqual([final.event, final.data.n], ["final", 20], "final is always sent");
  },
);
