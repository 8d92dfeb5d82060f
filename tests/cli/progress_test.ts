import assert from "node:assert/strict";
import { Progress, renderBar } from "../../cli/progress.ts";

Deno.test("renderBar fills in proportion to rows done", () => {
  assert.equal(renderBar(0, 10, "a.npy", 10), "[----------]   0% 0/10 rows a.npy");
  assert.equal(renderBar(5, 10, "a.npy", 10), "[#####-----]  50% 5/10 rows a.npy");
  assert.equal(renderBar(10, 10, "a.npy", 10), "[##########] 100% 10/10 rows a.npy");
  assert.equal(renderBar(0, 0, "e", 4), "[####] 100% 0/0 rows e");
});

Deno.test("Progress redraws one bar line on a terminal and prints a line per file otherwise", () => {
  const tty: string[] = [];
  const p = new Progress(30, true, (t) => tty.push(t));
  p.chunkDone("a.npy", 10);
  p.note("a.npy batch 2: HTTP 503; retrying");
  p.chunkDone("a.npy", 20);
  p.fileDone("a.npy", 2, 30);
  p.finish();
  assert.ok(tty[0].startsWith("\r\x1b[K[") && tty[0].includes("10/30 rows a.npy"));
  assert.ok(tty[1].startsWith("\r\x1b[K") && tty[1].endsWith("retrying\n"));
  assert.ok(tty[2].includes("30/30 rows") && !tty[2].includes("\n"));
  assert.equal(tty[3], "\n");
  assert.equal(tty.length, 4);

  const plain: string[] = [];
  const q = new Progress(30, false, (t) => plain.push(t));
  q.chunkDone("a.npy", 10);
  q.chunkDone("a.npy", 20);
  q.fileDone("a.npy", 2, 30);
  q.finish();
  assert.deepEqual(plain, ["a.npy: 30 rows in 2 batches uploaded\n"]);
});
