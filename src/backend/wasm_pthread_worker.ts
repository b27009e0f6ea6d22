/**
 * The body of one Emscripten pthread of tfjs's threaded SIMD wasm build,
 * run in a `node:worker_threads` Worker by {@linkcode ./wasm_threads.ts}.
 *
 * It stands in for the `tfjs-backend-wasm-threaded-simd.worker.js` script
 * that tfjs ships as a string and serves from a `blob:` URL, which Deno's
 * `worker_threads` cannot start. This module imports the Emscripten glue
 * directly and speaks Emscripten's protocol: `load`, `run`, `cancel` and
 * `processProxyingQueue` in; `loaded` and the glue's own messages out.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import factory from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";

/** The Emscripten module object, filled in by the factory. */
// deno-lint-ignore no-explicit-any
type EmModule = Record<string, any>;

/** The globals the Emscripten glue calls in a pthread. */
interface WorkerScope {
  postMessage(message: unknown): void;
  startWorker?: (instance: EmModule) => void;
}

const port = parentPort!;
const scope = globalThis as unknown as WorkerScope;
scope.postMessage = (message) => port.postMessage(message);
let em: EmModule = {};
let running = false;
let queued: number[] = [];

// The factory calls this global once the module is instantiated here.
scope.startWorker = (instance) => {
  em = instance;
  scope.postMessage({ cmd: "loaded" });
};

/** Instantiate the main thread's module on its shared memory. */
function load(data: EmModule): void {
  em.wasmModule = data.wasmModule;
  em.wasmMemory = data.wasmMemory;
  em.buffer = data.wasmMemory.buffer;
  em.ENVIRONMENT_IS_PTHREAD = true;
  for (const handler of data.handlers as string[]) {
    em[handler] = (...args: unknown[]) =>
      scope.postMessage({ cmd: "callHandler", handler, args });
  }
  em.instantiateWasm = (
    imports: WebAssembly.Imports,
    receive: (instance: WebAssembly.Instance) => void,
  ) => {
    const instance = new WebAssembly.Instance(em.wasmModule, imports);
    receive(instance);
    em.wasmModule = null;
    return instance.exports;
  };
  (factory as unknown as (m: EmModule) => unknown)(em);
}

/** Run a thread's start routine until it returns or exits. */
function run(data: EmModule): void {
  em.__emscripten_thread_init(data.pthread_ptr, 0, 0, 1);
  em.establishStackSpace();
  em.PThread.receiveObjectTransfer(data);
  em.PThread.threadInitTLS();
  if (!running) {
    for (const queue of queued) em.executeNotifiedProxyingQueue(queue);
    queued = [];
    running = true;
  }
  try {
    em.invokeEntryPoint(data.start_routine, data.arg);
  } catch (e) {
    if (e === "unwind") return;
    if (!(e instanceof em.ExitStatus)) throw e;
    if (!em.keepRuntimeAlive()) {
      em.__emscripten_thread_exit((e as { status: number }).status);
    }
  }
}

port.on("message", (data: EmModule) => {
  if (data.cmd === "load") {
    load(data);
  } else if (data.cmd === "run") {
    run(data);
  } else if (data.cmd === "cancel") {
    if (em._pthread_self()) em.__emscripten_thread_exit(-1);
  } else if (data.cmd === "processProxyingQueue") {
    if (running) em.executeNotifiedProxyingQueue(data.queue);
    else queued.push(data.queue);
  }
});
