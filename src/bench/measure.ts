/**
 * Timing of training steps: the median time of a step after warm-up, the
 * FLOP rate that implies, and the tensor count around the timed steps (a
 * leak shows as growth). The data is random: only the arithmetic matters.
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import { type BackendRequest, selectBackend } from "../backend/select.ts";
import type { Split } from "../data/dataset.ts";
import type { TrainConfig, UpdateOrder } from "../train/config.ts";
import { GanSession } from "../train/session.ts";
import { stepFlops } from "../train/train.ts";
import { Rng } from "../util/rng.ts";

/** One benchmark row. */
export interface BenchResult {
  /** The backend measured. */
  backend: string;
  /** The preset whose model was timed. */
  model: string;
  /** The step's update order. */
  updates: UpdateOrder;
  /** Threads the wasm backend used, when it is wasm. */
  threads?: number;
  /** Adapter description, for WebGPU. */
  adapter?: string;
  /** Median milliseconds per step after warm-up. */
  ms_per_step: number;
  /** Steps per second at the median. */
  steps_per_s: number;
  /** Milliseconds of the very first step (kernel or pipeline compilation). */
  first_step_ms: number;
  /** FLOPs of one step, counted from the layer shapes. */
  gflop_per_step: number;
  /** Achieved GFLOP/s at the median. */
  gflop_per_s: number;
  /** `tf.memory().numTensors` before the timed steps. */
  tensors_before: number;
  /** The same after them; equal when nothing leaks. */
  tensors_after: number;
  /** Steps timed: as asked, or fewer where the budget ran out. */
  steps: number;
}

/** Options for {@linkcode benchmarkSteps}. */
export interface BenchOptions {
  /** Steps timed after warm-up. @default {10} */
  steps?: number;
  /** Untimed steps first. @default {2} */
  warmup?: number;
  /** wasm threads. @default {1} */
  threads?: number;
  /**
   * Milliseconds of timed steps after which a slow backend stops early,
   * once it has timed 3 steps. @default {Infinity}
   */
  budgetMs?: number;
}

/** Timed steps a backend gets at least, whatever its budget. */
const MIN_TIMED_STEPS = 3;

/** `count` random images of the size `config` trains on. */
export function randomSplit(config: TrainConfig, count: number): Split {
  const cifar = config.dataset === "cifar10";
  const shape = cifar
    ? { height: 32, width: 32, channels: 3 }
    : { height: 28, width: 28, channels: 1 };
  const pixels = shape.height * shape.width * shape.channels;
  const rng = new Rng(7);
  return {
    images: rng.uniform(count * pixels, 0, 1),
    labels: new Uint8Array(count),
    count,
    ...shape,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Time training steps of `config`'s model on `backend`.
 *
 * Each timed step ends with a read of its losses, so the time covers the
 * device work, not only its enqueueing.
 */
export async function benchmarkSteps(
  config: TrainConfig,
  backend: BackendRequest,
  options: BenchOptions = {},
): Promise<BenchResult> {
  const { steps = 10, warmup = 2, budgetMs = Infinity } = options;
  const info = await selectBackend(backend, { threads: options.threads });
  const session = new GanSession(
    config,
    randomSplit(config, config.batchSize * 4),
  );
  try {
    const time = async () => {
      const t0 = performance.now();
      session.trainStep();
      await session.flush();
      return performance.now() - t0;
    };
    const first = await time();
    for (let i = 1; i < warmup; i++) await time();
    const before = tf.memory().numTensors;
    const times: number[] = [];
    let spent = 0;
    while (times.length < steps) {
      times.push(await time());
      spent += times[times.length - 1];
      if (times.length >= MIN_TIMED_STEPS && spent > budgetMs) break;
    }
    const after = tf.memory().numTensors;
    const ms = median(times);
    const gflop = stepFlops(session) / 1e9;
    return {
      backend: info.name,
      model: config.preset,
      updates: config.updates,
      threads: info.threads,
      adapter: info.adapter,
      ms_per_step: ms,
      steps_per_s: 1000 / ms,
      first_step_ms: first,
      gflop_per_step: gflop,
      gflop_per_s: gflop / (ms / 1000),
      tensors_before: before,
      tensors_after: after,
      steps: times.length,
    };
  } finally {
    session.dispose();
  }
}
