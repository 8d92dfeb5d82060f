/**
 * The PGlite data-dir lock: held against a live server, taken over at once from a process that is gone or whose
 * pid now belongs to another process (a restart right after kill -9 must not be refused).
 */
import assert from "node:assert/strict";
import { lockDataDir } from "../../db/data_dir_lock.ts";

const startTime = (pid: number) => {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
};

Deno.test({
  name: "a lock is refused while its process lives, and taken over when it died or its pid was reused",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fidstream-lock-" });
    const path = `${dir}/fidstream.pid`;
    const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      // A live holder, in the new format and in the old one (pid only): refused.
      for (const contents of [`${sleeper.pid} ${startTime(sleeper.pid)}`, `${sleeper.pid}`]) {
        await Deno.writeTextFile(path, contents);
        await assert.rejects(
          lockDataDir(dir),
          (e: Error & { code?: string }) => e.code === "data_dir_in_use",
        );
      }
      // The pid is alive but started at another time: another process has it now. Taken over.
      await Deno.writeTextFile(path, `${sleeper.pid} 1`);
      const release = await lockDataDir(dir);
      assert.equal((await Deno.readTextFile(path)).split(" ")[0], String(Deno.pid));
      await release();
      // A process that exited (killed with SIGKILL, reaped): taken over.
      const gone = new Deno.Command("sleep", { args: ["30"] }).spawn();
      const goneStart = startTime(gone.pid);
      gone.kill("SIGKILL");
      await gone.status;
      await Deno.writeTextFile(path, `${gone.pid} ${goneStart}`);
      (await lockDataDir(dir))();
    } finally {
      sleeper.kill("SIGKILL");
      await sleeper.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
