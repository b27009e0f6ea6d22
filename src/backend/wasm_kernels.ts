/**
 * Install webgan's wasm-backend kernels: the matrix product of
 * `./wasm_matmul.ts` and the heap kernels of `./wasm_heap_kernels.ts`, all
 * computed by one {@linkcode KernelEngine} bound to tfjs's wasm heap, and
 * the fused kernels that `./fused_ops.ts` calls for.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelEngine } from "../kernels/engine.ts";
import { setMatMulFlagsFast } from "./gradients.ts";
import { type HeapAllocator, matMulKernel } from "./wasm_matmul.ts";
import {
  addKernel,
  identityKernel,
  maxInnermostGradKernel,
  maxKernel,
  sgdMomentumKernel,
  sumKernel,
} from "./wasm_heap_kernels.ts";
import { MAX_INNERMOST_GRAD, SGD_MOMENTUM } from "./fused_ops.ts";

/** The parts of the Emscripten module behind `BackendWasm.wasm` used here. */
interface HeapModule extends HeapAllocator {
  /** Set by the threaded build, which creates a shared memory itself. */
  wasmMemory?: WebAssembly.Memory;
  /** The instance's exports, memory among them, in the plain build. */
  asm?: { memory?: WebAssembly.Memory };
}

/** What {@linkcode installWasmKernels} set up, for run headers and bench. */
export interface WasmKernelsInfo {
  /** Threads each large matrix product runs on. */
  threads: number;
  /** Whether products use fused multiply-adds (relaxed SIMD). */
  fused: boolean;
}

let installed: WasmKernelsInfo | undefined;

/** The heap memory of the wasm backend's Emscripten module. */
function heapMemory(module: HeapModule): WebAssembly.Memory {
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error("the tfjs wasm backend exposes no WebAssembly.Memory");
  }
  return memory;
}

/** Replace the registered kernel `name` on wasm with `kernelFunc`. */
function replace(name: string, kernelFunc: tf.KernelFunc): void {
  const stock = tf.getKernel(name, "wasm");
  if (stock) tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    ...stock,
    kernelName: name,
    backendName: "wasm",
    kernelFunc,
  });
}

/** The kernel tfjs registered for `name` on wasm. */
function stockKernel(name: string): tf.KernelConfig {
  const kernel = tf.getKernel(name, "wasm");
  if (!kernel) throw new Error(`tfjs registered no wasm ${name} kernel`);
  return kernel;
}

/**
 * Register webgan's kernels on the wasm backend, which must have
 * initialised. Later calls return the first call's result.
 *
 * @param threads Threads per matrix product; more than one needs tfjs's
 * threaded build, whose heap is shared.
 */
export async function installWasmKernels(
  threads: number,
): Promise<WasmKernelsInfo> {
  if (installed) return installed;
  const backend = tf.findBackend("wasm") as BackendWasm | null;
  if (!backend) throw new Error("the wasm backend has not initialised");
  const module = backend.wasm as unknown as HeapModule;
  const engine = await KernelEngine.create(heapMemory(module), { threads });
  const stockMatMul = stockKernel("BatchMatMul");
  const stockMax = stockKernel("Max");
  const stockSum = stockKernel("Sum");
  const stockAdd = stockKernel("Add");
  replace("BatchMatMul", matMulKernel(engine, module, stockMatMul));
  replace("Identity", identityKernel);
  replace("Max", maxKernel(engine, stockMax));
  replace(MAX_INNERMOST_GRAD, maxInnermostGradKernel(engine));
  replace("Sum", sumKernel(engine, stockSum));
  replace("Add", addKernel(engine, stockAdd));
  replace(SGD_MOMENTUM, sgdMomentumKernel(engine));
  setMatMulFlagsFast(true);
  installed = {
    threads: engine.threads,
    fused: engine.multiplyAdd === "fused",
  };
  return installed;
}
