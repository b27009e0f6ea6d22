/**
 * Where a training step's time goes: every kernel tfjs ran during a few
 * steps, grouped by kernel and input shapes, with its time per step, and
 * the time spent outside kernels (JavaScript, tfjs's bookkeeping, data).
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import { type BackendRequest, selectBackend } from "../backend/select.ts";
import type { TrainConfig } from "../train/config.ts";
import { GanSession } from "../train/session.ts";
import { randomSplit } from "./measure.ts";

/** One kernel at one set of input shapes. */
export interface KernelTime {
  /** tfjs's kernel name, e.g. `BatchMatMul`. */
  kernel: string;
  /** Its input shapes, e.g. `[100,784] [784,1200]`. */
  shapes: string;
  /** Calls a step. */
  calls: number;
  /** Milliseconds a step, or NaN where the backend gave no time. */
  ms: number;
}

/** The profile of a few training steps. */
export interface StepProfile {
  /** The backend profiled. */
  backend: string;
  /** Threads the wasm backend used, when it is wasm. */
  threads?: number;
  /** Steps profiled, after warm-up. */
  steps: number;
  /** Milliseconds of a whole step while profiled. */
  stepMs: number;
  /** Every kernel, the costliest first. */
  kernels: KernelTime[];
}

/** Options for {@linkcode profileSteps}. */
export interface ProfileOptions {
  /** Steps profiled after warm-up. @default {5} */
  steps?: number;
  /** Untimed steps first. @default {2} */
  warmup?: number;
  /** wasm threads. @default {1} */
  threads?: number;
}

/**
 * Profile training steps of `config`'s model on `backend` with
 * `tf.profile`. Kernel times come from the backend's timer: wall time
 * around each kernel on wasm and cpu, GPU time on WebGPU where the
 * adapter has timestamp queries.
 */
export async function profileSteps(
  config: TrainConfig,
  backend: BackendRequest,
  options: ProfileOptions = {},
): Promise<StepProfile> {
  const { steps = 5, warmup = 2 } = options;
  const info = await selectBackend(backend, { threads: options.threads });
  const session = new GanSession(
    config,
    randomSplit(config, config.batchSize * 4),
  );
  const step = async () => {
    session.trainStep();
    await session.flush();
  };
  try {
    for (let i = 0; i < warmup; i++) await step();
    const totals = new Map<string, KernelTime>();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const { kernels } = await tf.profile(step);
      for (const k of kernels) {
        const shapes = k.inputShapes.map((s) => `[${s}]`).join(" ");
        const key = `${k.name} ${shapes}`;
        const row = totals.get(key) ??
          { kernel: k.name, shapes, calls: 0, ms: 0 };
        row.calls += 1;
        const ms = k.kernelTimeMs;
        row.ms += typeof ms === "number" ? ms : NaN;
        totals.set(key, row);
      }
    }
    const stepMs = (performance.now() - t0) / steps;
    const kernels = [...totals.values()]
      .map((r) => ({ ...r, calls: r.calls / steps, ms: r.ms / steps }))
      .sort((a, b) => (b.ms || 0) - (a.ms || 0));
    return {
      backend: info.name,
      threads: info.threads,
      steps,
      stepMs,
      kernels,
    };
  } finally {
    session.dispose();
  }
}
