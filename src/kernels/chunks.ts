/**
 * How the threads of `./engine.ts` share a job: a matrix product's columns
 * of C, or a momentum update's weights, are cut into chunks, and each
 * thread, the caller included, takes the next chunk from a shared counter
 * until none are left. A thread that starts late or runs on a busier core
 * simply takes fewer chunks. Each column or weight is computed the same way
 * whichever thread takes it, so results do not depend on the thread count.
 *
 * The control block is an `Int32Array` on a `SharedArrayBuffer`; its slots
 * are named below.
 *
 * @module
 */

/** Slot: the job generation; workers wait for it to change. */
export const GEN = 0;
/** Slot: how many workers have finished the current job. */
export const DONE = 1;
/** Slot: set to 1 to make workers exit. */
export const STOP = 2;
/** Slot: the first column (or weight) not yet taken. */
export const NEXT = 3;
/**
 * Slots from here: the job's kind, its extent (columns or weights), the
 * chunk width, then up to 10 arguments.
 */
export const JOB = 4;
/** Int32 slots of the whole control block. */
export const CONTROL_SLOTS = JOB + 13;

/**
 * What a job computes. `Gemm` takes `gemm`'s first 10 arguments (all but
 * the column range); `Sgd` takes the θ, v, g, θ' and v' addresses, then the
 * momentum and the learning rate as float32 bits.
 */
export const JobKind = { Gemm: 0, Sgd: 1 } as const;

/** One of {@linkcode JobKind}'s values. */
export type JobKind = typeof JobKind[keyof typeof JobKind];

/** The kernels a thread runs chunks of. */
export interface ChunkKernels {
  gemm(...args: number[]): void;
  sgd_momentum(...args: number[]): void;
}

/** Chunks per thread: enough that the last one is a small part of a job. */
const CHUNKS_PER_THREAD = 8;

/**
 * The width of a chunk of C's n columns for `threads` threads: a multiple
 * of 8, the kernel's tile width, and at least 8.
 */
export function chunkWidth(n: number, threads: number): number {
  return 8 * Math.max(1, Math.ceil(n / (8 * CHUNKS_PER_THREAD * threads)));
}

/** Write a job for the threads to take chunks of. */
export function postJob(
  control: Int32Array,
  kind: JobKind,
  job: { extent: number; width: number; args: number[] },
): void {
  control[JOB] = kind;
  control[JOB + 1] = job.extent;
  control[JOB + 2] = job.width;
  control.set(job.args, JOB + 3);
  Atomics.store(control, NEXT, 0);
}

/** Take chunks of the posted job and compute them until none are left. */
export function takeChunks(control: Int32Array, kernels: ChunkKernels): void {
  const kind = control[JOB] as JobKind;
  const extent = control[JOB + 1];
  const width = control[JOB + 2];
  const args = Array.from(control.subarray(JOB + 3, JOB + 13));
  const floats = new Float32Array(control.buffer, 4 * (JOB + 3), 10);
  for (;;) {
    const j0 = Atomics.add(control, NEXT, width);
    if (j0 >= extent) return;
    const j1 = Math.min(extent, j0 + width);
    if (kind === JobKind.Gemm) {
      kernels.gemm(...args, j0, j1);
    } else {
      const [theta, vel, grad, thetaOut, velOut] = args.map((a) => a + 4 * j0);
      kernels.sgd_momentum(
        theta,
        vel,
        grad,
        thetaOut,
        velOut,
        j1 - j0,
        floats[5],
        floats[6],
      );
    }
  }
}
