/**
 * webgan's own wasm kernels (`./module.ts`) bound to a WebAssembly memory:
 * matrix products on one or more threads, transposes, the maxout
 * reductions, the momentum update and column sums.
 *
 * {@linkcode KernelEngine} works on any `WebAssembly.Memory`; webgan hands it tfjs's
 * wasm heap, so that tensors are read and written where they lie. On a
 * shared memory (tfjs's threaded build), extra threads share the columns of
 * C with the calling thread as `./chunks.ts` describes; the caller then
 * waits, with `Atomics.wait`, for the workers to finish, so every call is
 * synchronous, as a tfjs kernel must be.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { kernelModuleBytes, type MultiplyAdd } from "./module.ts";
import {
  type ChunkKernels,
  chunkWidth,
  CONTROL_SLOTS,
  DONE,
  GEN,
  JobKind,
  postJob,
  STOP,
  takeChunks,
} from "./chunks.ts";

/** A matrix in memory: its address and its strides, in elements. */
export interface Matrix {
  /** Byte address of element [0, 0]; a multiple of 4. */
  address: number;
  /** Elements between consecutive rows. */
  rowStride: number;
  /** Elements between consecutive columns. */
  colStride: number;
}

/** Options for {@linkcode KernelEngine.create}. */
export interface GemmOptions {
  /**
   * Threads to compute with, the calling thread included. More than one
   * needs a shared memory. @default {1}
   */
  threads?: number;
}

/**
 * The kernel's exported function: `a, asr, asc, b, ldb, c, csr, csc, m, k,
 * j0, j1`, addresses and strides in bytes (see `./gemm_code.ts`).
 */
type GemmFn = (...args: number[]) => void;

/** The module's other exports, all on byte addresses. */
interface OtherExports {
  transpose(src: number, dst: number, rows: number, cols: number): void;
  max_innermost(x: number, y: number, rows: number, pieces: number): void;
  max_innermost_grad(
    x: number,
    y: number,
    dy: number,
    dx: number,
    rows: number,
    pieces: number,
  ): void;
  sgd_momentum(
    theta: number,
    vel: number,
    grad: number,
    thetaOut: number,
    velOut: number,
    count: number,
    momentum: number,
    lr: number,
  ): void;
  sum_rows(x: number, y: number, rows: number, cols: number): void;
  add_rows(x: number, b: number, y: number, rows: number, cols: number): void;
}

/** Products smaller than this many multiply-adds stay on one thread. */
const THREADING_MIN_WORK = 1 << 17;

/** Momentum updates of fewer weights stay on one thread. */
const THREADING_MIN_WEIGHTS = 1 << 16;

/** Whether the engine runs `f32x4.relaxed_madd`. */
function fusedSupported(): boolean {
  return WebAssembly.validate(kernelModuleBytes(false, "fused"));
}

/**
 * A matrix-product engine bound to one memory.
 *
 * @example
 * ```ts
 * import { KernelEngine } from "./engine.ts";
 *
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const engine = await KernelEngine.create(memory);
 * const f = new Float32Array(memory.buffer);
 * f.set([1, 2, 3, 4], 0); // A = [[1, 2], [3, 4]] at byte 0
 * f.set([5, 6, 7, 8], 4); // B at byte 16
 * engine.multiply(
 *   { address: 0, rowStride: 2, colStride: 1 },
 *   { address: 16, rowStride: 2, colStride: 1 },
 *   { address: 32, rowStride: 2, colStride: 1 },
 *   2, 2, 2,
 * );
 * // f.subarray(8, 12) is now [19, 22, 43, 50]
 * ```
 */
export class KernelEngine {
  /** How products are accumulated: fused where relaxed SIMD exists. */
  readonly multiplyAdd: MultiplyAdd;
  /** Threads computing each large product, the caller included. */
  readonly threads: number;
  #kernel: GemmFn;
  #other: OtherExports;
  #kernels: ChunkKernels;
  #memory: WebAssembly.Memory;
  #control: Int32Array;
  #workers: Worker[];

  private constructor(
    kernel: GemmFn,
    other: OtherExports,
    memory: WebAssembly.Memory,
    multiplyAdd: MultiplyAdd,
    control: Int32Array,
    workers: Worker[],
  ) {
    this.#kernel = kernel;
    this.#other = other;
    this.#kernels = { gemm: kernel, sgd_momentum: other.sgd_momentum };
    this.#memory = memory;
    this.multiplyAdd = multiplyAdd;
    this.#control = control;
    this.#workers = workers;
    this.threads = workers.length + 1;
  }

  /**
   * Compile the kernel for `memory` and start its worker threads.
   *
   * @throws {RangeError} When more than one thread is asked for on a
   * memory that is not shared, or the count is not a positive integer.
   */
  static async create(
    memory: WebAssembly.Memory,
    options: GemmOptions = {},
  ): Promise<KernelEngine> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(
        `threads must be a positive integer; got ${threads}`,
      );
    }
    const shared = memory.buffer instanceof SharedArrayBuffer;
    if (threads > 1 && !shared) {
      throw new RangeError("more than one thread needs a shared memory");
    }
    const mode: MultiplyAdd = fusedSupported() ? "fused" : "separate";
    const bytes = kernelModuleBytes(shared, mode);
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, {
      env: { memory },
    });
    const control = new Int32Array(
      new SharedArrayBuffer(4 * CONTROL_SLOTS),
    );
    const workers: Worker[] = [];
    for (let w = 1; w < threads; w++) {
      workers.push(await startWorker(module, memory, control));
    }
    const exports = instance.exports as unknown as OtherExports & {
      gemm: GemmFn;
    };
    return new KernelEngine(
      exports.gemm,
      exports,
      memory,
      mode,
      control,
      workers,
    );
  }

  /**
   * `C = A·B` for A of m × k, B of k × n and C of m × n. B's columns must
   * be contiguous (`colStride` 1); A and C may have any strides. C must not
   * overlap A or B.
   *
   * @throws {RangeError} When B's columns are not contiguous.
   */
  multiply(
    a: Matrix,
    b: Matrix,
    c: Matrix,
    m: number,
    k: number,
    n: number,
  ): void {
    if (b.colStride !== 1) {
      throw new RangeError("B's columns must be contiguous (colStride 1)");
    }
    if (m === 0 || n === 0) return;
    if (k === 0) {
      this.#zero(c, m, n);
      return;
    }
    const args = [
      a.address,
      4 * a.rowStride,
      4 * a.colStride,
      b.address,
      4 * b.rowStride,
      c.address,
      4 * c.rowStride,
      4 * c.colStride,
      m,
      k,
    ];
    const shares = m * n * k < THREADING_MIN_WORK ? 1 : this.threads;
    if (shares === 1) {
      this.#kernel(...args, 0, n);
      return;
    }
    this.#share(JobKind.Gemm, {
      extent: n,
      width: chunkWidth(n, shares),
      args,
    });
  }

  /** Run a job on every thread and wait until all are done. */
  #share(
    kind: JobKind,
    job: { extent: number; width: number; args: number[] },
  ): void {
    const control = this.#control;
    postJob(control, kind, job);
    Atomics.store(control, DONE, 0);
    Atomics.add(control, GEN, 1);
    Atomics.notify(control, GEN);
    takeChunks(control, this.#kernels);
    const workers = this.#workers.length;
    for (;;) {
      const done = Atomics.load(control, DONE);
      if (done >= workers) break;
      Atomics.wait(control, DONE, done);
    }
  }

  /**
   * Copy the rows × cols row-major matrix at byte address `from`,
   * transposed, to `to` (cols × rows, row-major). The two must not overlap.
   */
  transpose(from: number, to: number, rows: number, cols: number): void {
    this.#other.transpose(from, to, rows, cols);
  }

  /**
   * `y[r] = max_p x[r, p]` for x of rows × pieces at byte address `x` and
   * y of `rows` at `y`. NaN wins, as in `tf.max`.
   */
  maxInnermost(x: number, y: number, rows: number, pieces: number): void {
    this.#other.max_innermost(x, y, rows, pieces);
  }

  /**
   * The gradient of {@linkcode maxInnermost}: `dx[r, p] = dy[r]` where
   * `x[r, p] == y[r]`, else 0; ties each receive `dy[r]`.
   */
  maxInnermostGrad(
    x: number,
    y: number,
    dy: number,
    dx: number,
    rows: number,
    pieces: number,
  ): void {
    this.#other.max_innermost_grad(x, y, dy, dx, rows, pieces);
  }

  /**
   * One momentum SGD step over `step.count` weights:
   * `v' = momentum·v − lr·g` into `velOut`, `θ' = θ + v'` into `thetaOut`.
   * Each output may coincide with the input it replaces, not with others.
   */
  sgdMomentum(
    buffers: {
      theta: number;
      vel: number;
      grad: number;
      thetaOut: number;
      velOut: number;
    },
    step: { count: number; momentum: number; lr: number },
  ): void {
    const b = buffers;
    if (this.threads > 1 && step.count >= THREADING_MIN_WEIGHTS) {
      const bits = new Int32Array(
        new Float32Array([step.momentum, step.lr]).buffer,
      );
      this.#share(JobKind.Sgd, {
        extent: step.count,
        width: chunkWidth(step.count, this.threads),
        args: [b.theta, b.vel, b.grad, b.thetaOut, b.velOut, bits[0], bits[1]],
      });
      return;
    }
    this.#other.sgd_momentum(
      b.theta,
      b.vel,
      b.grad,
      b.thetaOut,
      b.velOut,
      step.count,
      step.momentum,
      step.lr,
    );
  }

  /** `y[j] = Σ_i x[i, j]` for x of rows × cols, rows summed in order. */
  sumRows(x: number, y: number, rows: number, cols: number): void {
    this.#other.sum_rows(x, y, rows, cols);
  }

  /**
   * `y[i, j] = x[i, j] + b[j]` for x and y of rows × cols and b of cols;
   * y may be x.
   */
  addRows(
    x: number,
    b: number,
    y: number,
    shape: { rows: number; cols: number },
  ): void {
    this.#other.add_rows(x, b, y, shape.rows, shape.cols);
  }

  /** Stop the worker threads. The engine must not be used afterwards. */
  dispose(): void {
    Atomics.store(this.#control, STOP, 1);
    Atomics.add(this.#control, GEN, 1);
    Atomics.notify(this.#control, GEN);
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }

  /** An empty sum: C is all zeros. */
  #zero(c: Matrix, m: number, n: number): void {
    const f = new Float32Array(this.#memory.buffer);
    const base = c.address / 4;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        f[base + i * c.rowStride + j * c.colStride] = 0;
      }
    }
  }
}

/** Start a worker and wait until it is listening. */
function startWorker(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  control: Int32Array,
): Promise<Worker> {
  const worker = new Worker(new URL("./engine_worker.ts", import.meta.url), {
    workerData: { module, memory, control },
  });
  return new Promise((resolve, reject) => {
    worker.once("message", () => {
      worker.unref();
      resolve(worker);
    });
    worker.once("error", reject);
  });
}
