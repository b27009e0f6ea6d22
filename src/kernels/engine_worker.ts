/**
 * One worker thread of {@linkcode ./engine.ts}: it instantiates the kernels on
 * the shared memory, then, for every new generation of the control block,
 * computes its share of the product and counts itself done.
 *
 * The loop blocks in `Atomics.wait` between products and never returns to
 * the event loop, so all its input arrives through shared memory.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { DONE, GEN, JOB_BASE, JOB_SLOTS, STOP } from "./engine.ts";

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
  index: number;
}

const { module, memory, control, index } = workerData as Start;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const gemm = instance.exports.gemm as (...args: number[]) => void;
const base = JOB_BASE + JOB_SLOTS * index;
let seen = Atomics.load(control, GEN);
parentPort!.postMessage("ready");

for (;;) {
  Atomics.wait(control, GEN, seen);
  const generation = Atomics.load(control, GEN);
  if (generation === seen) continue;
  seen = generation;
  if (Atomics.load(control, STOP) !== 0) break;
  // Only the workers the product was split for have a share this time.
  const j0 = control[base + 10];
  const j1 = control[base + 11];
  if (j1 > j0) {
    gemm(...control.subarray(base, base + JOB_SLOTS));
  }
  Atomics.add(control, DONE, 1);
  Atomics.notify(control, DONE);
}
