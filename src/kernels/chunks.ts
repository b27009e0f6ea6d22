/**
 * How the threads of `./engine.ts` share a matrix product: C's columns are
 * cut into chunks, and each thread, the caller included, takes the next
 * chunk from a shared counter until none are left. A thread that starts
 * late or runs on a busier core simply takes fewer chunks. Each column is
 * computed the same way whichever thread takes it, so the result does not
 * depend on the thread count.
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
/** Slot: the first column not yet taken. */
export const NEXT = 3;
/** Slots from here: the kernel's first 10 arguments, then n, then width. */
export const JOB = 4;
/** Int32 slots of the whole control block. */
export const CONTROL_SLOTS = JOB + 12;

/** Chunks per thread: enough that the last one is a small part of a job. */
const CHUNKS_PER_THREAD = 8;

/**
 * The width of a chunk of C's n columns for `threads` threads: a multiple
 * of 8, the kernel's tile width, and at least 8.
 */
export function chunkWidth(n: number, threads: number): number {
  return 8 * Math.max(1, Math.ceil(n / (8 * CHUNKS_PER_THREAD * threads)));
}

/** Write a job: the kernel's first 10 arguments, n and the chunk width. */
export function postJob(
  control: Int32Array,
  args: number[],
  shape: { n: number; width: number },
): void {
  control.set(args, JOB);
  control[JOB + 10] = shape.n;
  control[JOB + 11] = shape.width;
  Atomics.store(control, NEXT, 0);
}

/**
 * Take chunks of the posted job and compute them with `gemm` until none
 * are left.
 */
export function takeChunks(
  control: Int32Array,
  gemm: (...args: number[]) => void,
): void {
  const args = Array.from(control.subarray(JOB, JOB + 10));
  const n = control[JOB + 10];
  const width = control[JOB + 11];
  for (;;) {
    const j0 = Atomics.add(control, NEXT, width);
    if (j0 >= n) return;
    gemm(...args, j0, Math.min(n, j0 + width));
  }
}
