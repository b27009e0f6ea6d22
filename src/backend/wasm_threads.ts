/**
 * Start tfjs's multi-threaded SIMD wasm build under Deno.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 ships a pthread build
 * (`tfjs-backend-wasm-threaded-simd.wasm`) but never picks it under Deno,
 * for three reasons, each worked around here only while the backend starts:
 *
 * 1. Its `WASM_HAS_MULTITHREAD_SUPPORT` flag returns `false` whenever
 *    `IS_NODE` is true (tfjs#3830), and Deno looks like Node. We set the
 *    flag to `true`.
 * 2. Emscripten's Node path then calls
 *    `new (require("worker_threads").Worker)(url)` with a `blob:` URL from
 *    tfjs's `locateFile`, which Deno refuses (`ERR_WORKER_PATH`); and the
 *    script behind it would `importScripts` the main bundle's factory, whose
 *    source refers to variables of the bundle's own scope. We swap `Worker`
 *    in `node:worker_threads` for a subclass that runs
 *    {@linkcode ./wasm_pthread_worker.ts} instead. The bundle also copies
 *    that class onto `globalThis.Worker`; we put the web `Worker` back.
 * 3. tfjs caps its thread pool at half of `os.cpus().length`, assuming two
 *    hyperthreads a core, so a 2-vCPU machine gets one thread. We report as
 *    many CPUs as needed for the count asked for.
 *
 * The pool is created once, when the backend initialises; once started,
 * its workers do not keep the process alive.
 *
 * @module
 */
import os from "node:os";
import workerThreads from "node:worker_threads";
import {
  getThreadsCount,
  setThreadsCount,
} from "@tensorflow/tfjs-backend-wasm";
import { tf } from "./tf.ts";

/** Options for {@linkcode startWasmThreads}. */
export interface WasmThreadsOptions {
  /**
   * Threads XNNPACK may use, the calling thread included, from 1 to 8.
   * @default navigator.hardwareConcurrency, at most 8
   */
  threads?: number;
}

/** The largest pool tfjs's build preallocates workers for. */
const MAX_THREADS = 8;

/**
 * The thread count that training and the bench use unless told otherwise:
 * every core the runtime reports, at most 8; but 1 when webgan runs from a
 * remote URL (JSR), where starting the worker scripts from their URLs is
 * untested.
 */
export function defaultWasmThreads(): number {
  if (!import.meta.url.startsWith("file:")) return 1;
  return Math.max(1, Math.min(navigator.hardwareConcurrency, MAX_THREADS));
}

/** The pthread body, started in place of Emscripten's `blob:` script. */
const PTHREAD_SCRIPT = new URL("./wasm_pthread_worker.ts", import.meta.url);

/**
 * A `worker_threads.Worker` that runs {@linkcode PTHREAD_SCRIPT} whatever
 * script it is given. Emscripten `unref()`s each worker once it has loaded
 * and `ref()`s it while it runs a thread; XNNPACK's pool threads run until
 * exit, so `ref()` does nothing here, or the process would never end.
 */
class PthreadWorker extends workerThreads.Worker {
  constructor() {
    super(PTHREAD_SCRIPT);
  }

  override ref(): void {}
}

/** Whether tfjs has already created a wasm backend instance. */
function wasmInitialised(): boolean {
  const registry = (tf.engine() as unknown as {
    registry: Record<string, unknown>;
  }).registry;
  return registry.wasm != null;
}

/** Run `start` with the three workarounds in place, then undo them. */
async function withThreadPatches<T>(
  threads: number,
  start: () => Promise<T>,
): Promise<T> {
  const mutableThreads = workerThreads as unknown as { Worker: unknown };
  const mutableOs = os as unknown as { cpus: () => os.CpuInfo[] };
  const webWorker = globalThis.Worker;
  const nodeWorker = mutableThreads.Worker;
  const cpus = mutableOs.cpus;

  mutableThreads.Worker = PthreadWorker;
  const cpu = cpus()[0];
  mutableOs.cpus = () => Array.from({ length: 2 * threads }, () => cpu);
  try {
    return await start();
  } finally {
    mutableThreads.Worker = nodeWorker;
    mutableOs.cpus = cpus;
    globalThis.Worker = webWorker;
  }
}

/**
 * Initialise the wasm backend from tfjs's threaded SIMD build and make it
 * the active backend; with `threads: 1`, from the plain SIMD build. Call it
 * before anything else starts the wasm backend; once wasm has started, it
 * only reports the thread count in use.
 *
 * @param options Thread count; see {@linkcode WasmThreadsOptions}.
 * @returns The number of threads XNNPACK uses.
 * @throws {RangeError} When `threads` is not an integer from 1 to 8.
 * @throws {Error} When the threaded build fails to start.
 *
 * @example
 * ```ts
 * import { startWasmThreads } from "./wasm_threads.ts";
 * import { selectBackend } from "./select.ts";
 *
 * await startWasmThreads({ threads: 2 });
 * await selectBackend("wasm");
 * ```
 */
export async function startWasmThreads(
  options: WasmThreadsOptions = {},
): Promise<number> {
  const threads = options.threads ?? defaultWasmThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(
      `threads must be an integer from 1 to ${MAX_THREADS}; got ${threads}`,
    );
  }
  if (wasmInitialised()) return getThreadsCount();

  // The threaded build starts 8 pool workers (~0.7 s, ~110 MiB) whatever
  // the count, so one thread is better served by the plain SIMD build.
  const threaded = threads > 1;
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", threaded);
  setThreadsCount(threads);
  const ok = threaded
    ? await withThreadPatches(threads, () => tf.setBackend("wasm"))
    : await tf.setBackend("wasm");
  if (!ok) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    throw new Error(
      `the threaded wasm backend failed to start with ${threads} threads; ` +
        "threads: 1 uses the single-threaded build",
    );
  }
  return getThreadsCount();
}
