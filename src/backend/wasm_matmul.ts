/**
 * webgan's `BatchMatMul` kernel for the wasm backend, computed by
 * {@linkcode ../kernels/engine.ts}: fused multiply-adds where the engine has
 * relaxed SIMD, several threads on the threaded build, and every transpose
 * flag at full speed. `./wasm_kernels.ts` registers it.
 *
 * The stock kernel hands flag-free products to XNNPACK, which repacks the
 * right operand on every call because a fresh tensor misses its cache, and
 * runs any transposed product through a naive loop. Here a transposed left
 * operand is only a stride; a transposed right operand is handled by
 * computing `Cᵀ = B·Aᵀ` or by copying the smaller operand transposed into a
 * scratch buffer on the heap, and a transposed left operand, read through
 * strides where the product is narrow, is copied row-major where it is not.
 *
 * Shapes this kernel does not cover (non-float32 data, batch dimensions
 * that broadcast other than from 1) go to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelEngine, Matrix } from "../kernels/engine.ts";

/** The heap allocator of the wasm backend's Emscripten module. */
export interface HeapAllocator {
  _malloc(bytes: number): number;
  _free(address: number): void;
}

/** A growable scratch buffer on the tfjs heap, for transposed copies. */
class Scratch {
  #address = 0;
  #bytes = 0;
  constructor(private readonly module: HeapAllocator) {}

  /** The address of at least `bytes` bytes, valid until the next call. */
  reserve(bytes: number): number {
    if (bytes > this.#bytes) {
      if (this.#address) this.module._free(this.#address);
      this.#bytes = Math.max(bytes, 2 * this.#bytes);
      this.#address = this.module._malloc(this.#bytes) >>> 0;
      if (this.#address === 0) throw new Error("wasm heap exhausted");
    }
    return this.#address;
  }
}

/** A row-major matrix at `address` with `cols` columns. */
function rowMajor(address: number, cols: number): Matrix {
  return { address, rowStride: cols, colStride: 1 };
}

/** The same matrix read as its transpose. */
function transposed(address: number, cols: number): Matrix {
  return { address, rowStride: 1, colStride: cols };
}

/**
 * One product `C = op(A)·op(B)`, with op(A) m × k and op(B) k × n, all
 * three matrices row-major in memory.
 */
function multiplyOne(
  gemm: KernelEngine,
  scratch: Scratch,
  a: number,
  b: number,
  c: number,
  dims: { m: number; k: number; n: number; ta: boolean; tb: boolean },
): void {
  const { m, k, n, ta, tb } = dims;
  const opA = ta ? transposed(a, m) : rowMajor(a, k);
  if (!tb) {
    if (ta && n >= COPY_A_MIN_COLUMNS) {
      // Read through strides, Aᵀ's k loop steps a whole stored row at a
      // time; a row-major copy (m·k floats against m·k·n multiply-adds)
      // made weight gradients 20–50 % faster here.
      const copy = scratch.reserve(4 * m * k);
      gemm.transpose(a, copy, k, m);
      gemm.multiply(rowMajor(copy, k), rowMajor(b, n), rowMajor(c, n), m, k, n);
      return;
    }
    gemm.multiply(opA, rowMajor(b, n), rowMajor(c, n), m, k, n);
    return;
  }
  // B is stored n × k. Cᵀ = B_stored · op(A)ᵀ needs op(A)ᵀ (k × m) with
  // contiguous rows: A itself when ta, else a copy; the alternative copies
  // B transposed (k × n) and multiplies directly. Copy the smaller.
  const cT = transposed(c, n);
  if (ta) {
    gemm.multiply(rowMajor(b, k), rowMajor(a, m), cT, n, k, m);
  } else if (m <= n) {
    const copy = scratch.reserve(4 * m * k);
    gemm.transpose(a, copy, m, k);
    gemm.multiply(rowMajor(b, k), rowMajor(copy, m), cT, n, k, m);
  } else {
    const copy = scratch.reserve(4 * n * k);
    gemm.transpose(b, copy, n, k);
    gemm.multiply(opA, rowMajor(copy, n), rowMajor(c, n), m, k, n);
  }
}

/**
 * A transposed left operand is copied row-major when C has at least this
 * many columns, enough for the copy to be a small part of the work.
 */
const COPY_A_MIN_COLUMNS = 32;

/** The product of a shape's entries. */
function size(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/**
 * A `BatchMatMul` kernel for the wasm backend that computes with `engine`,
 * which must be bound to the backend's heap, and hands the cases it does
 * not cover to `stock`.
 */
export function matMulKernel(
  engine: KernelEngine,
  heap: HeapAllocator,
  stock: tf.KernelConfig,
): tf.KernelFunc {
  const scratch = new Scratch(heap);
  return (params) => {
    const backend = params.backend as BackendWasm;
    const { a, b } = params.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = params
      .attrs as unknown as tf.BatchMatMulAttrs;
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = size(outerA);
    const batchB = size(outerB);
    const simpleBatch = batchA === batchB || batchA === 1 || batchB === 1;
    if (a.dtype !== "float32" || b.dtype !== "float32" || !simpleBatch) {
      return stock.kernelFunc(params);
    }
    const [ar, ac] = a.shape.slice(-2);
    const [br, bc] = b.shape.slice(-2);
    const m = transposeA ? ac : ar;
    const k = transposeA ? ar : ac;
    const n = transposeB ? br : bc;
    if ((transposeB ? bc : br) !== k) return stock.kernelFunc(params);
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    // Batches that broadcast along several axes ([3,1] with [1,3]) are
    // not a plain loop over one operand: the stock kernel takes them.
    if (size(outer) !== Math.max(batchA, batchB)) {
      return stock.kernelFunc(params);
    }
    const out = backend.makeOutput([...outer, m, n], "float32");
    const offset = (info: tf.TensorInfo) =>
      backend.dataIdMap.get(info.dataId)!.memoryOffset;
    const batches = Math.max(batchA, batchB);
    const dims = { m, k, n, ta: transposeA, tb: transposeB };
    for (let p = 0; p < batches; p++) {
      multiplyOne(
        engine,
        scratch,
        offset(a) + (batchA === 1 ? 0 : 4 * p * m * k),
        offset(b) + (batchB === 1 ? 0 : 4 * p * k * n),
        offset(out) + 4 * p * m * n,
        dims,
      );
    }
    return out;
  };
}
