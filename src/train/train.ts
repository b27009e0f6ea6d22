/**
 * The training loop behind `deno task train` and the `train()` API: it
 * loads the data, builds or restores a {@linkcode GanSession}, and keeps the
 * run folder up to date (samples, metrics, plot, checkpoints). It reports
 * progress through `onEvent` and never prints.
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import { type BackendInfo, selectBackend } from "../backend/select.ts";
import { defaultWasmThreads } from "../backend/wasm_threads.ts";
import { type DataEvent, type Dataset, loadDataset } from "../data/dataset.ts";
import type { Classifier, ClassifierProgress } from "../eval/classifier.ts";
import { writeJsonAtomic, writeTextAtomic } from "../io/atomic.ts";
import { imageGrid } from "../io/grid.ts";
import { writePng } from "../io/png.ts";
import { renderMetricsPng } from "../io/plot.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { countParameters, type Net } from "../models/net.ts";
import { VERSION } from "../version.ts";
import {
  pruneCheckpoints,
  readLatestCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";
import {
  checkCoverageConfig,
  type CoverageCheck,
  CoverageMonitor,
} from "./coverage.ts";
import {
  type MetricColumn,
  metricsColumns,
  metricsHeader,
  metricsToCsv,
  parseMetricsCsv,
} from "./metrics_log.ts";
import {
  createRunFolder,
  type RunPaths,
  runPaths,
  samplePath,
} from "./run_folder.ts";
import { GanSession, sampleNoise, type StepMetrics } from "./session.ts";

/** Samples in every grid: 16 × 16. */
export const GRID_SAMPLES = 256;

/** Milliseconds between the loop's turns to the event loop. */
const YIELD_MS = 50;

/** What the loop reports while it runs. */
export type TrainEvent =
  | { type: "data"; event: DataEvent }
  | {
    type: "start";
    paths: RunPaths;
    config: TrainConfig;
    backend: BackendInfo;
    dataset: { name: string; train: number; shape: number[] };
    parameters: { generator: number; discriminator: number };
    flopsPerStep: number;
    resumedFrom?: number;
    /** Present when the run checks mode coverage. */
    coverage?: {
      /** Steps between checks. */
      every: number;
      /** Where the classifier came from, and its test accuracy (0..1). */
      classifier: {
        source: "loaded" | "trained" | "given";
        testAccuracy: number;
        /** Its cache folder; absent for a given one. */
        folder?: string;
      };
    };
  }
  | {
    /** The coverage classifier trains, on its first use only. */
    type: "classifier-progress";
    progress: ClassifierProgress;
    /** Where it will be cached. */
    folder: string;
  }
  /** A mode-coverage check, before that step's progress report. */
  | ({ type: "coverage" } & CoverageCheck)
  | { type: "progress"; step: number; total: number; metrics: StepMetrics }
  | { type: "checkpoint"; step: number; path: string }
  | { type: "skipped-checkpoint"; step: number; reason: string }
  | { type: "done"; result: TrainResult };

/** How a run ended. */
export interface TrainResult {
  /** The run folder. */
  paths: RunPaths;
  /** Steps finished. */
  step: number;
  /** Whether it stopped early because the signal fired. */
  interrupted: boolean;
  /** Seconds spent in this call. */
  seconds: number;
  /** The last recorded metrics, if any. */
  last?: StepMetrics;
}

/** Options for {@linkcode train}. */
export interface TrainOptions {
  /** Receives progress; the default ignores it. */
  onEvent?: (event: TrainEvent) => void;
  /** When aborted, the loop finishes the step, checkpoints and returns. */
  signal?: AbortSignal;
  /** Resume this run folder instead of starting a new one. */
  resume?: string;
  /** A dataset already in memory, skipping the load. */
  dataset?: Dataset;
  /**
   * Threads for the wasm backend.
   * @default every core, at most 8 ({@linkcode defaultWasmThreads})
   */
  threads?: number;
  /** Clock for the run folder's name. @default {new Date()} */
  now?: Date;
  /**
   * The classifier for mode coverage (`config.coverageEvery` > 0), instead
   * of the one cached under `<config.out>/_classifiers/`; the caller keeps
   * ownership.
   */
  classifier?: Classifier;
}

/**
 * Train a GAN as `config` says, writing a run folder.
 *
 * @example Train a few steps of a small model
 * ```ts ignore
 * import { getPreset, train } from "./mod.ts";
 * const config = { ...getPreset("paper-mnist"), steps: 20 };
 * const result = await train(config);
 * const runFolder = result.paths.root;
 * ```
 */
export async function train(
  config: TrainConfig,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const emit = options.onEvent ?? (() => {});
  const started = performance.now();
  checkCoverageConfig(config);
  const backend = await selectBackend(config.backend, {
    threads: options.threads ?? defaultWasmThreads(),
  });
  const dataset = options.dataset ?? await loadDataset(config.dataset, {
    dataDir: config.dataDir,
    range: config.data.range,
    demean: config.data.demean,
    gcn: config.data.gcn,
    onEvent: (event) => emit({ type: "data", event }),
  });
  const coverage = config.coverageEvery > 0
    ? await CoverageMonitor.open(config, dataset, {
      classifier: options.classifier,
      onProgress: (progress, folder) =>
        emit({ type: "classifier-progress", progress, folder }),
    })
    : undefined;
  try {
    const session = new GanSession(config, dataset.train);
    try {
      return await runLoop(session, {
        config,
        backend,
        dataset,
        options,
        emit,
        started,
        coverage,
      });
    } finally {
      session.dispose();
    }
  } finally {
    coverage?.dispose();
  }
}

interface LoopContext {
  config: TrainConfig;
  backend: BackendInfo;
  dataset: Dataset;
  options: TrainOptions;
  emit: (event: TrainEvent) => void;
  started: number;
  coverage?: CoverageMonitor;
}

async function runLoop(
  session: GanSession,
  ctx: LoopContext,
): Promise<TrainResult> {
  const { config, options, emit, coverage } = ctx;
  let paths: RunPaths;
  let rows: StepMetrics[] = [];
  let resumedFrom: number | undefined;
  let columns = metricsColumns({ coverage: coverage !== undefined });
  if (options.resume) {
    paths = runPaths(options.resume);
    const cp = await readLatestCheckpoint(paths.root, {
      onSkip: (step, reason) =>
        emit({ type: "skipped-checkpoint", step, reason }),
    });
    session.restore(cp.state, cp.tensors);
    rows = parseMetricsCsv(cp.metricsCsv).filter((r) => r.step <= session.step);
    resumedFrom = session.step;
    // Coverage figures already recorded keep their columns, even when the
    // resumed run no longer measures them.
    if (rows.some((r) => r.classesCovered !== undefined)) {
      columns = metricsColumns({ coverage: true });
    }
    await writeTextAtomic(
      paths.metricsCsv,
      metricsHeader(columns) + metricsToCsv(rows, columns),
    );
  } else {
    paths = await createRunFolder(config.out, {
      dataset: config.dataset,
      tag: config.tag,
      now: options.now,
    });
    await writeTextAtomic(paths.metricsCsv, metricsHeader(columns));
  }
  await writeJsonAtomic(paths.config, {
    ...config,
    environment: {
      webgan: VERSION,
      deno: Deno.version.deno,
      tfjs: tf.version.tfjs,
      backend: ctx.backend,
    },
  });

  const { generator, discriminator } = session.models;
  emit({
    type: "start",
    paths,
    config,
    backend: ctx.backend,
    dataset: {
      name: ctx.dataset.name,
      train: ctx.dataset.train.count,
      shape: [
        ctx.dataset.train.height,
        ctx.dataset.train.width,
        ctx.dataset.train.channels,
      ],
    },
    parameters: {
      generator: countParameters(generator),
      discriminator: countParameters(discriminator),
    },
    flopsPerStep: stepFlops(session),
    resumedFrom,
    ...(coverage
      ? {
        coverage: { every: config.coverageEvery, classifier: coverage.info },
      }
      : {}),
  });

  const gridNoise = sampleNoise(
    config.noise,
    [GRID_SAMPLES, session.noiseDim],
    config.seed + 7919,
  );
  const writer = new RunWriter(session, { paths, gridNoise, columns });
  try {
    if (resumedFrom === undefined) {
      await writer.grid(0);
      await writer.checkpoint(rows);
    }
    let interrupted = false;
    // The step of the newest checkpoint: the closing one is skipped when it
    // would only replace (delete, then rename over) an identical one.
    let saved = resumedFrom ?? 0;
    let yielded = performance.now();
    while (session.step < config.steps) {
      // Between reads the loop never waits on anything, so a signal
      // handler would run only at the next read; give it a turn now and
      // then, so that an abort stops after the current step.
      if (options.signal && performance.now() - yielded > YIELD_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        yielded = performance.now();
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      session.trainStep();
      const step = session.step;
      const atCheckpoint = step % config.checkpointEvery === 0;
      const atCoverage = coverage !== undefined &&
        step % config.coverageEvery === 0;
      if (
        step % config.readEvery === 0 || atCheckpoint || atCoverage ||
        step === config.steps
      ) {
        const fresh = await session.flush();
        if (atCoverage) {
          const check = await coverage.measure(session);
          const row = fresh.find((r) => r.step === step)!;
          row.classesCovered = check.classesCovered;
          row.coverageJsd = check.jsd;
          emit({ type: "coverage", ...check });
        }
        rows.push(...fresh);
        await appendText(paths.metricsCsv, metricsToCsv(fresh, columns));
        const last = fresh[fresh.length - 1];
        emit({ type: "progress", step, total: config.steps, metrics: last });
      }
      if (atCheckpoint) {
        await writer.grid(step);
        const path = await writer.checkpoint(rows);
        saved = step;
        await pruneCheckpoints(paths.root, config.checkpointEvery);
        emit({ type: "checkpoint", step, path });
      }
    }
    const fresh = await session.flush();
    rows.push(...fresh);
    await appendText(paths.metricsCsv, metricsToCsv(fresh, columns));
    if (!interrupted) await writer.grid("final");
    if (session.step !== saved) {
      const path = await writer.checkpoint(rows);
      emit({ type: "checkpoint", step: session.step, path });
      await pruneCheckpoints(paths.root, config.checkpointEvery);
    }
    await writer.plot(rows);
    const result: TrainResult = {
      paths,
      step: session.step,
      interrupted,
      seconds: (performance.now() - ctx.started) / 1000,
      last: rows[rows.length - 1],
    };
    emit({ type: "done", result });
    return result;
  } finally {
    gridNoise.dispose();
  }
}

/** Writes the run folder's files for a session. */
class RunWriter {
  readonly paths: RunPaths;
  readonly gridNoise: tf.Tensor2D;
  readonly columns: readonly MetricColumn[];

  constructor(
    readonly session: GanSession,
    files: {
      paths: RunPaths;
      gridNoise: tf.Tensor2D;
      columns: readonly MetricColumn[];
    },
  ) {
    this.paths = files.paths;
    this.gridNoise = files.gridNoise;
    this.columns = files.columns;
  }

  async grid(step: number | "final"): Promise<void> {
    const { train } = this.session;
    const images = await this.session.generate(this.gridNoise);
    const range: [number, number] =
      this.session.config.data.range === "symmetric" ? [-1, 1] : [0, 1];
    const grid = imageGrid(images, {
      count: GRID_SAMPLES,
      height: train.height,
      width: train.width,
      channels: train.channels as 1 | 3,
      range,
      cols: 16,
    });
    await writePng(samplePath(this.paths, step), grid);
  }

  async checkpoint(rows: StepMetrics[]): Promise<string> {
    return await writeCheckpoint(this.paths.root, {
      state: this.session.state(),
      tensors: this.session.tensors(),
      metricsCsv: metricsHeader(this.columns) +
        metricsToCsv(rows, this.columns),
    });
  }

  async plot(rows: StepMetrics[]): Promise<void> {
    if (rows.length === 0) return;
    const png = await renderMetricsPng(rows, {
      title: `${this.session.config.preset} · ${this.session.config.dataset}`,
    });
    await writeFileAtomic(this.paths.metricsPng, png);
  }
}

async function appendText(path: string, text: string): Promise<void> {
  if (text) await Deno.writeTextFile(path, text, { append: true });
}

/**
 * FLOPs of the matrix products (and convolutions) one training step runs,
 * 2 per multiply-add, counted from the layer shapes. A layer's forward
 * pass, its weight gradient and its input gradient each cost the same.
 * The D step runs G forward, then D forward and backward on two batches,
 * with no input gradient for D's first layer (its input is data). The G
 * step runs G and D forward, D's input gradients only (D is not updated),
 * and G's weight gradients and its input gradients past the first layer
 * (the noise needs none). A simultaneous update runs G forward once for
 * both players, so its step has one G forward pass fewer.
 */
export function stepFlops(session: GanSession): number {
  const m = session.config.batchSize;
  const k = session.config.discriminatorSteps;
  const { generator: G, discriminator: D } = session.models;
  const g = forwardFlops(G, m);
  const d = forwardFlops(D, m);
  const gIn = inputLayerFlops(G, m);
  const dIn = inputLayerFlops(D, m);
  const dStep = g + 2 * (d + d + (d - dIn));
  const gStep = g + d + d + g + (g - gIn);
  const shared = session.config.updates === "simultaneous" ? g : 0;
  return k * dStep + gStep - shared;
}

/** Weight matrices (rank 2 and up) of `net`, in order. */
function weightSizes(net: Net): number[] {
  return net.variables.filter((v) => v.rank >= 2).map((v) => v.size);
}

/** A forward pass over `batch` rows; dense layers unless `net` says. */
function forwardFlops(net: Net, batch: number): number {
  const dense = () => 2 * batch * weightSizes(net).reduce((a, b) => a + b, 0);
  return net.forwardFlops?.(batch) ?? dense();
}

/** The first layer's share of a forward pass; dense unless `net` says. */
function inputLayerFlops(net: Net, batch: number): number {
  return net.inputLayerFlops?.(batch) ?? 2 * batch * (weightSizes(net)[0] ?? 0);
}
