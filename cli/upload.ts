/**
 * `upload --server URL --run ID FILES...`: push feature .npy files to a run as batches of at most --chunk rows.
 * Each batch's Idempotency-Key is sha256(run id, file content hash, chunk index), so running the same upload
 * again after an interruption re-sends only keys the server already has, which it does not count twice.
 */

import { basename } from "node:path";
import { UnprocessableError } from "../src/errors.ts";
import { expectAtLeast, intFlag, parseArgs, UsageError } from "./args.ts";
import { postBatch } from "./batch_client.ts";
import { parseFeatures, readInput } from "./inputs.ts";
import { Progress } from "./progress.ts";
import type { RetryPolicy } from "./retry.ts";
import { chunkCount, rowChunks } from "./row_chunks.ts";
import type { ProcessConfig } from "../functions/config.ts";

/** Usage line of the command. */
export const UPLOAD_USAGE =
  "upload --server URL --run ID FILES... [--chunk ROWS] [--retries N] [--retry-delay MS]\n" +
  '      POST each .npy in chunks of ROWS rows (default 1000) -> {"run","files","batches","n"}\n' +
  "      Keep --chunk the same when re-running an interrupted upload: keys depend on the chunk index.";

const encoder = new TextEncoder();

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The deterministic Idempotency-Key of chunk `index` of a file (by content hash) in a run. */
export async function batchKey(runId: string, fileSha256: string, index: number): Promise<string> {
  return await sha256Hex(encoder.encode(`${runId}\n${fileSha256}\n${index}`));
}

/** A validated input file: its content hash and size, not its data. */
interface UploadFile {
  path: string;
  sha256: string;
  n: number;
  dim: number;
}

/** Run `upload` and return its result object. */
export async function uploadCommand(
  argv: string[],
  config: ProcessConfig,
): Promise<{ run: string; files: number; batches: number; n: number }> {
  const args = parseArgs(argv, {
    server: "string",
    run: "string",
    chunk: "int",
    retries: "int",
    "retry-delay": "int",
  });
  const server = args.flags.get("server") as string | undefined;
  const runId = args.flags.get("run") as string | undefined;
  if (!server) throw new UsageError("--server URL is required");
  if (!runId) throw new UsageError("--run ID is required");
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:8000, got '${server}'`);
  }
  const paths = expectAtLeast(args, 1, "at least one .npy file to upload");
  const chunk = intFlag(args, "chunk", 1000, 1);
  const policy: RetryPolicy = {
    retries: intFlag(args, "retries", 8, 0),
    baseDelayMs: intFlag(args, "retry-delay", 500, 0),
    maxDelayMs: 60_000,
  };
  const url = new URL(`v1/runs/${encodeURIComponent(runId)}/batches`, base.href.replace(/\/?$/, "/")).href;
  const apiKey = config.client.apiKey;

  // Validate every file before sending anything, so a bad last file does not leave a half upload. Only one
  // file's features are held at a time: each is read again when its turn comes (and must not have changed).
  const files: UploadFile[] = [];
  for (const path of paths) {
    const bytes = await readInput(path);
    const f = parseFeatures(path, bytes);
    if (files.length > 0 && f.dim !== files[0].dim) {
      throw new UnprocessableError(
        "feature_dim_mismatch",
        `${path} has D = ${f.dim} but ${files[0].path} has D = ${files[0].dim}; a run has one D`,
      );
    }
    files.push({ path, sha256: await sha256Hex(bytes), n: f.n, dim: f.dim });
  }
  const progress = new Progress(files.reduce((s, f) => s + f.n, 0));
  let batches = 0, n = 0;
  for (const file of files) {
    const name = basename(file.path);
    const bytes = await readInput(file.path);
    if (await sha256Hex(bytes) !== file.sha256) throw new Error(`${file.path} changed during the upload`);
    const chunks = chunkCount(file.n, chunk);
    for (const c of rowChunks(parseFeatures(file.path, bytes), chunk)) {
      const reply = await postBatch(
        {
          url,
          body: c.npy,
          idempotencyKey: await batchKey(runId, file.sha256, c.index),
          apiKey,
          label: `${name} batch ${c.index + 1}/${chunks}`,
        },
        policy,
        (message) => progress.note(message),
      );
      batches++;
      n = reply.n;
      progress.chunkDone(name, c.rows);
    }
    progress.fileDone(name, chunks, file.n);
  }
  progress.finish();
  return { run: runId, files: files.length, batches, n };
}
