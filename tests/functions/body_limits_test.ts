/** Process-wide limits on bodies: the byte budget, per-key upload slots, and the decode semaphore's turns. */
import assert from "node:assert/strict";
import { BodyBudget, BodyLease, UploadSlots } from "../../functions/body_limits.ts";
import { ByteSemaphore } from "../../engine/byte_semaphore.ts";

Deno.test("leases take bytes from one budget and give them all back when their request ends", () => {
  const budget = new BodyBudget(1000);
  const a = new BodyLease(budget), b = new BodyLease(budget);
  a.reserve(600);
  b.reserve(300);
  assert.throws(
    () => b.reserve(200),
    (e: Error & { code: string; retryAfterSeconds: number }) =>
      e.code === "server_busy" && e.retryAfterSeconds > 0,
  );
  assert.equal(budget.used, 900, "a refused reservation takes nothing");
  a.release();
  a.release(); // idempotent
  assert.equal(budget.used, 300);
  b.reserve(700);
  b.release();
  assert.equal(budget.used, 0);
  assert.throws(() => b.reserve(1), /after its request ended/);
});

Deno.test("a key gets at most perKey upload slots at once; other keys are not affected", () => {
  const slots = new UploadSlots(2);
  const r1 = slots.acquire("k"), r2 = slots.acquire("k");
  assert.throws(() => slots.acquire("k"), (e: Error & { code: string }) => e.code === "too_many_uploads");
  const other = slots.acquire("other");
  r1();
  r1(); // a double release frees one slot only
  const r3 = slots.acquire("k");
  assert.throws(() => slots.acquire("k"));
  for (const r of [r2, r3, other]) r();
  assert.equal(slots.inFlight("k"), 0);
  assert.doesNotThrow(() => new UploadSlots(0).acquire("k")(), "0 = no limit");
});

Deno.test("decodes take turns within the byte semaphore, first come first served", async () => {
  const sem = new ByteSemaphore(100);
  const order: string[] = [];
  let peak = 0;
  const job = async (name: string, bytes: number, ms: number) => {
    const release = await sem.acquire(bytes);
    peak = Math.max(peak, sem.used);
    order.push(name);
    await new Promise((r) => setTimeout(r, ms));
    release();
  };
  await Promise.all([job("a", 60, 30), job("b", 60, 10), job("c", 30, 10), job("d", 100, 1)]);
  assert.deepEqual(order, ["a", "b", "c", "d"], "c waits behind b even though it would fit beside a");
  assert.ok(peak <= 100, `peak ${peak}`);
  assert.equal(sem.used, 0);
  await assert.rejects(sem.acquire(101), (e: Error & { code: string }) => e.code === "decode_too_large");
  const hold = await sem.acquire(100);
  await assert.rejects(sem.acquire(1, 50), (e: Error & { code: string }) => e.code === "server_busy");
  hold();
  (await sem.acquire(100))();
});
