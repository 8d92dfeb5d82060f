import assert from "node:assert/strict";
import { evaluateExclusively } from "../../../engine/pipeline/evaluation_lease.ts";
import { testEachDatabase } from "../../_support/databases.ts";

/** A promise with its resolve function. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

testEachDatabase(
  "a second process asks the evaluating one for a pass instead of computing alongside",
  async ({ db }) => {
    let passesA = 0, passesB = 0;
    const firstPass = gate(), started = gate();
    const a = evaluateExclusively(db, "run", "process-a", async () => {
      passesA++;
      if (passesA === 1) {
        started.open();
        await firstPass.opened; // process B's batch arrives while A computes
      }
    });
    await started.opened;
    const bRan = await evaluateExclusively(db, "run", "process-b", () => {
      passesB++;
      return Promise.resolve();
    });
    assert.equal(bRan, false, "B left the work to A");
    assert.equal(passesB, 0);
    firstPass.open();
    assert.equal(await a, true);
    assert.equal(passesA, 2, "A passed once more for B's request before letting go");
    // Free again: the next caller evaluates at once, once.
    assert.equal(
      await evaluateExclusively(db, "run", "process-b", () => Promise.resolve(void passesB++)),
      true,
    );
    assert.equal(passesB, 1);
  },
);

testEachDatabase("a failed evaluation drops the lease and the error reaches the caller", async ({ db }) => {
  await assert.rejects(
    evaluateExclusively(db, "run", "a", () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  let ran = 0;
  assert.equal(await evaluateExclusively(db, "run", "b", () => Promise.resolve(void ran++)), true);
  assert.equal(ran, 1);
});

testEachDatabase(
  "concurrent requests from many processes all end up covered by a pass that starts after them",
  async ({ db }) => {
    // Each evaluation records how many requests had been made before it started; the last one must see all.
    let requested = 0;
    const seenAtStart: number[] = [];
    const evaluate = async () => {
      seenAtStart.push(requested);
      await new Promise((r) => setTimeout(r, 5));
    };
    await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 3));
      requested++;
      await evaluateExclusively(db, "run", `p${i % 3}-${i}`, evaluate);
    }));
    assert.ok(
      seenAtStart.length >= 1 && seenAtStart.length < 12,
      `${seenAtStart.length} passes for 12 requests`,
    );
    assert.equal(Math.max(...seenAtStart), 12, "the last pass began after the last request");
  },
);

testEachDatabase("a long pass keeps its lease alive with a heartbeat", async ({ db }) => {
  let others = 0;
  const ttl = 300;
  const long = evaluateExclusively(db, "run", "a", () => new Promise((r) => setTimeout(r, 4 * ttl)), ttl);
  await new Promise((r) => setTimeout(r, 2 * ttl));
  assert.equal(await evaluateExclusively(db, "run", "b", () => Promise.resolve(void others++), ttl), false);
  assert.equal(others, 0, "past its first lifetime the lease was still a's");
  assert.equal(await long, true);
});
