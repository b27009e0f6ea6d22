/**
 * One worker thread of {@linkcode ./engine.ts}: it instantiates the kernels
 * on the shared memory, then, for every new generation of the control
 * block, takes chunks of the product (see `./chunks.ts`) until none are
 * left and counts itself done.
 *
 * The loop blocks in `Atomics.wait` between products and never returns to
 * the event loop, so all its input arrives through shared memory.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ChunkKernels, DONE, GEN, STOP, takeChunks } from "./chunks.ts";

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
}

const { module, memory, control } = workerData as Start;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const kernels = instance.exports as unknown as ChunkKernels;
let seen = Atomics.load(control, GEN);
parentPort!.postMessage("ready");

for (;;) {
  Atomics.wait(control, GEN, seen);
  const generation = Atomics.load(control, GEN);
  if (generation === seen) continue;
  seen = generation;
  if (Atomics.load(control, STOP) !== 0) break;
  takeChunks(control, kernels);
  Atomics.add(control, DONE, 1);
  Atomics.notify(control, DONE);
}
