/**
 * Running VAE work (engine/vae/ops.ts) on a Worker thread, one per process, started on first use and
 * stopped after a minute idle. An operation that runs past its time limit (a hostile or huge model) is
 * answered with a 422 and the worker is replaced, so one bad model cannot wedge later requests.
 */
import { UnavailableError, UnprocessableError } from "../../src/errors.ts";
import { RpcClient } from "../../src/workers/rpc_client.ts";
import type { BackendName } from "../../models/runtime/extraction_settings.ts";
import { defaultEngineConfig, type Engine } from "../engine.ts";
import type { VaeOp, VaeResults } from "./ops.ts";

/** Runs VAE operations off the request thread. */
export interface VaeRunner {
  /** Runs one operation on the worker; resolves with its result. */
  run<K extends VaeOp["op"]>(req: Extract<VaeOp, { op: K }>): Promise<VaeResults[K]>;
  /** Stops the worker (a later run starts a new one). */
  close(): void;
}

/** Timing and backend of the worker. */
export interface VaeRunnerOptions {
  /** Longest one operation may run (default 120 s; the service passes FIDSTREAM_VAE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Stop the worker after this long without work (default 60 s). */
  idleMs?: number;
  /** tfjs backend the models run on (default: the auto choice). */
  backend?: BackendName;
}

/** What the VAE worker is set up with before its first operation. */
export type VaeWorkerSetup = { backend?: BackendName };

/** A runner over one lazily started Worker (engine/vae/worker.ts). */
export function workerVaeRunner(opts: VaeRunnerOptions = {}): VaeRunner {
  const timeoutMs = opts.timeoutMs ?? defaultEngineConfig.vaeTimeoutMs;
  const rpc = new RpcClient<VaeOp>(new URL("./worker.ts", import.meta.url), {
    setup: { backend: opts.backend } satisfies VaeWorkerSetup,
    idleMs: opts.idleMs ?? 60_000,
    name: "vae",
    crashError: (message) =>
      new UnavailableError("vae_worker_crashed", `the VAE worker crashed (${message}); retry the request`),
  });
  return {
    run<K extends VaeOp["op"]>(req: Extract<VaeOp, { op: K }>): Promise<VaeResults[K]> {
      return rpc.call<VaeResults[K]>(req, {
        timeoutMs,
        timeoutError: () =>
          new UnprocessableError(
            "model_timeout",
            `the ${req.op} step ran past ${timeoutMs} ms and was stopped; use a smaller model or fewer samples`,
          ),
      });
    },
    close() {
      rpc.close(new UnavailableError("vae_worker_stopped", "the VAE worker stopped"));
    },
  };
}

const runners = new WeakMap<Engine, VaeRunner>();

/** The VAE runner of a service instance (one per Engine, started on first use). */
export function vaeRunnerFor(deps: Engine): VaeRunner {
  let runner = runners.get(deps);
  if (!runner) {
    runner = workerVaeRunner({ timeoutMs: deps.config.vaeTimeoutMs, backend: deps.config.backend });
    runners.set(deps, runner);
  }
  return runner;
}

/** Stops the service instance's VAE worker, if it has one (tests call this before closing the service). */
export function closeVaeRunner(deps: Engine): void {
  runners.get(deps)?.close();
  runners.delete(deps);
}
