/**
 * The evaluation of a run folder behind `deno task evaluate`: draw samples
 * from the run's generator and score them with the Parzen window
 * log-likelihood of Goodfellow et al. 2014 (arXiv 1406.2661, Table 1) and
 * with classifier-based mode coverage, each figure beside the same figure
 * for real data, and format the result as a text table.
 *
 * Reference rows, so that every figure has something to be read against:
 *
 * - Parzen: real training images (the first ones of the train split, as
 *   many as there are generated samples) are scored exactly as if they were
 *   samples (at most the whole split). With 10000 of them MNIST gets
 *   about 240 nats, what a generator that reproduced its training images
 *   would reach with this estimator.
 * - Modes: the real test images are classified like the samples; their
 *   histogram is compared with the same real class distribution (the
 *   labels of the train split), and the Fréchet distance of their features
 *   is taken against the same real training images' features as the
 *   generator's. A perfect generator would match this row.
 *
 * Pixels must be in [0, 1]: samples from a tanh generator (`data.range`
 * "symmetric") are mapped with (x + 1) / 2, and a run trained on
 * mean-subtracted data gets the training mean added back. Runs trained on
 * contrast-normalised images (`data.gcn`, the paper's CIFAR-10 preset) are
 * refused: their samples have no pixel scale. Mode coverage needs a
 * classifier that recognises the classes; it is offered for MNIST and
 * Fashion-MNIST only, since an MLP on CIFAR-10 (about 50 % accuracy) would
 * judge modes by its own errors. CIFAR-10 runs get the Parzen figures.
 *
 * Nothing here prints or writes: progress goes through `onEvent`, and the
 * task writes `eval.json` from {@linkcode reportToJson}.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../backend/tf.ts";
import { UserError } from "../cli/errors.ts";
import { type DataEvent, type Dataset, loadDataset } from "../data/dataset.ts";
import { pixelMean } from "../data/transforms.ts";
import type { Split } from "../data/types.ts";
import { listCheckpoints } from "../train/checkpoint.ts";
import type { TrainConfig } from "../train/config.ts";
import { loadGenerator, readRunConfig } from "../train/sampling.ts";
import {
  type Classifier,
  classifierFolder,
  loadOrTrainClassifier,
} from "./classifier.ts";
import { modeCoverage, type ModeReport } from "./modes.ts";
import { parzenEvaluate, type SigmaScore } from "./parzen.ts";

/** Which figures to compute. */
export type EvalMetric = "parzen" | "modes" | "all";

/** Every accepted `--metric` value. */
export const EVAL_METRICS: readonly EvalMetric[] = ["parzen", "modes", "all"];

/** The file an evaluation is saved to, inside the run folder. */
export const EVAL_FILE = "eval.json";

/** Bumped whenever the layout of `eval.json` changes. */
const FORMAT_VERSION = 1;

/**
 * The classifier's own defaults, passed explicitly so that the length of
 * its training is known before the first batch; the cache is shared with
 * any other caller of `loadOrTrainClassifier` that keeps the defaults.
 */
const CLASSIFIER_EPOCHS = 12;
const CLASSIFIER_BATCH = 128;

/** The long parts of an evaluation, each reported with its own progress. */
export type EvalStage =
  | "sample"
  | "parzen-generated"
  | "parzen-reference"
  | "classifier-train"
  | "classify";

/** What {@linkcode evaluateRun} reports while it works. */
export type EvalEvent =
  | { type: "data"; event: DataEvent }
  | { type: "skipped-checkpoint"; step: number; reason: string }
  | { type: "generator"; step: number; checkpointPath: string }
  | {
    type: "stage";
    stage: EvalStage;
    /** Units of work in the stage (images, or classifier steps). */
    total: number;
    /** One line saying what starts. */
    label: string;
  }
  | {
    type: "progress";
    stage: EvalStage;
    done: number;
    total: number;
    /** Extra text for the progress line, e.g. a loss. */
    detail?: string;
  }
  | { type: "classifier"; info: ClassifierSummary };

/** Options for {@linkcode evaluateRun}. */
export interface EvaluateRunOptions {
  /** Which figures to compute. @default {"all"} */
  metric?: EvalMetric;
  /** Generated samples to draw. @default {10000} */
  samples?: number;
  /** Which checkpoint: `"final"` or a step. @default {"final"} */
  checkpoint?: "final" | number;
  /** Seed of the generator's noise z. @default {0} */
  seed?: number;
  /** Validation images that choose σ. @default {1000} */
  validationCount?: number;
  /**
   * Test images scored (the modes reference row too).
   * @default {the whole test split}
   */
  testCount?: number;
  /** Dataset folder. @default {the run's config.dataDir} */
  dataDir?: string;
  /** Models folder, for the classifier cache. @default {"models"} */
  modelsDir?: string;
  /** The run's dataset already loaded with pixels in [0, 1]. */
  dataset?: Dataset;
  /** A classifier to use instead of the cached or newly trained one. */
  classifier?: Classifier;
  /** Receives progress; the default ignores it. */
  onEvent?: (event: EvalEvent) => void;
  /** Clock for `createdAt`. @default {new Date()} */
  now?: Date;
}

/** One Parzen row: generated samples or the real reference. */
export interface ParzenRow {
  /** Short name for the table. */
  label: string;
  /** What the Parzen window was built on. */
  description: string;
  /** Window centres (samples or real images). */
  samples: number;
  /** The σ chosen on the validation images. */
  sigma: number;
  /** Mean test log-likelihood, in nats. */
  mean: number;
  /** Standard error of that mean, in nats. */
  stderr: number;
  /** Validation mean of every candidate σ, in nats. */
  sigmaScores: SigmaScore[];
}

/** The Parzen section of a report. */
export interface ParzenSection {
  /** Validation images that chose σ. */
  validationCount: number;
  /** Test images scored. */
  testCount: number;
  /** The generator's row. */
  generated: ParzenRow;
  /** Real training images scored as if they were samples. */
  reference: ParzenRow;
}

/** One mode-coverage row. */
export interface ModeRow extends ModeReport {
  /** Short name for the table. */
  label: string;
  /** What was classified and compared. */
  description: string;
}

/** The classifier that judged the modes. */
export interface ClassifierSummary {
  /** Where it is cached. */
  folder: string;
  /** Whether it was loaded from the cache, trained now, or passed in. */
  source: "loaded" | "trained" | "given";
  /** Accuracy on the test split (0..1). */
  testAccuracy: number;
  /** Images it was trained on. */
  trainCount: number;
  /** Epochs it was trained for. */
  epochs: number;
}

/** The mode-coverage section of a report. */
export interface ModesSection {
  /** The classifier used. */
  classifier: ClassifierSummary;
  /** What the class histograms are compared with. */
  realDistributionSource: string;
  /** Real training images whose features the Fréchet distances use. */
  featureReferenceCount: number;
  /** The generator's row. */
  generated: ModeRow;
  /** Real test images judged the same way. */
  reference: ModeRow;
}

/** Everything `eval.json` holds. */
export interface EvalReport {
  /** Marks the file. */
  format: "webgan-eval";
  /** Layout version. */
  version: number;
  /** The run folder evaluated. */
  run: string;
  /** The run's preset. */
  preset: string;
  /** The run's dataset. */
  dataset: string;
  /** The checkpoint the generator came from. */
  checkpoint: { step: number; path: string };
  /** How samples were mapped to [0, 1] before scoring. */
  pixelMapping: string;
  /** Generated samples drawn. */
  samples: number;
  /** Seed of the noise z. */
  seed: number;
  /** The tfjs backend that did the maths. */
  backend: string;
  /** When the evaluation finished, ISO 8601. */
  createdAt: string;
  /** Seconds it took. */
  seconds: number;
  /** Present unless only modes were asked for. */
  parzen?: ParzenSection;
  /** Present unless only Parzen was asked for (or the dataset has none). */
  modes?: ModesSection;
  /** Why a part asked for was left out, if one was. */
  notes: string[];
}

/** A run folder that looks evaluable, with its config. */
export interface RunInfo {
  /** The run folder. */
  runDir: string;
  /** Its resolved config. */
  config: TrainConfig;
  /** Steps of its checkpoints, oldest first. */
  checkpoints: number[];
}

/**
 * Parse a `--metric` value.
 *
 * @throws {UserError} Naming the bad value and the accepted ones.
 */
export function parseMetric(value: string): EvalMetric {
  if ((EVAL_METRICS as readonly string[]).includes(value)) {
    return value as EvalMetric;
  }
  throw new UserError(
    `--metric must be one of ${EVAL_METRICS.join(", ")}; got "${value}"`,
  );
}

/**
 * Check that `runDir` is a run folder with a config and a checkpoint,
 * reading nothing large.
 *
 * @param runDir The run folder.
 * @returns Its config and checkpoint steps.
 * @throws {UserError} When the folder, its config.json or its checkpoints
 *   are missing.
 */
export async function inspectRun(runDir: string): Promise<RunInfo> {
  let isDir = false;
  try {
    isDir = (await Deno.stat(runDir)).isDirectory;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!isDir) throw new UserError(`run folder ${runDir} not found`);
  const config = await readRunConfig(runDir);
  const checkpoints = await listCheckpoints(runDir);
  if (checkpoints.length === 0) {
    throw new UserError(
      `${join(runDir, "checkpoints")} holds no checkpoint; train the run ` +
        `for at least checkpointEvery steps first`,
    );
  }
  return { runDir, config, checkpoints };
}

/**
 * Map generator outputs to pixels in [0, 1], in place: (x + 1) / 2 for a
 * tanh generator, plus the training mean when the run saw mean-subtracted
 * data.
 *
 * @param samples Generator outputs, flat, count × pixels.
 * @param options The run's data settings, and the per-pixel training mean
 *   in [0, 1] (required when `demean` is set).
 * @returns `samples`, mapped.
 * @throws {UserError} When the run used contrast normalisation.
 */
export function toUnitRange(
  samples: Float32Array,
  options: { data: TrainConfig["data"]; unitMean?: Float32Array },
): Float32Array {
  const { data, unitMean } = options;
  if (data.gcn) {
    throw new UserError(
      "the run was trained on contrast-normalised images (data.gcn), " +
        "whose samples cannot be mapped to pixels in [0, 1]",
    );
  }
  const half = data.range === "symmetric";
  if (half) {
    for (let i = 0; i < samples.length; i++) {
      samples[i] = (samples[i] + 1) / 2;
    }
  }
  if (data.demean) {
    if (!unitMean) throw new Error("toUnitRange: demean needs unitMean");
    const pixels = unitMean.length;
    // The mean was subtracted in the model's range. Symmetric: the model
    // makes g = (2u − 1) − (2m − 1), so u = g / 2 + m, and (g + 1) / 2 is
    // already in samples.
    for (let i = 0; i < samples.length; i++) {
      samples[i] += half ? unitMean[i % pixels] - 0.5 : unitMean[i % pixels];
    }
  }
  return samples;
}

/** How {@linkcode toUnitRange} maps a run's samples, in words. */
export function describeMapping(data: TrainConfig["data"]): string {
  if (data.gcn) return "none possible (contrast-normalised)";
  const parts = [data.range === "symmetric" ? "(x + 1) / 2" : "as generated"];
  if (data.demean) parts.push("+ training mean");
  return parts.join(" ");
}

/**
 * Evaluate a run folder: sample its generator and compute the figures
 * `metric` asks for, each beside its real-data reference row.
 *
 * On the wasm backend with 2 cores a full MNIST evaluation takes about a
 * minute once the classifier is cached (training it takes under a minute,
 * once).
 *
 * @example
 * ```ts ignore
 * const report = await evaluateRun("models/mnist/01_02_2026/10_00_00");
 * const table = formatReportTable(report); // for a task to print
 * ```
 *
 * @param runDir The run folder.
 * @returns The report; nothing is written.
 * @throws {UserError} When the run folder is not evaluable or a count is
 *   out of range.
 */
export async function evaluateRun(
  runDir: string,
  options: EvaluateRunOptions = {},
): Promise<EvalReport> {
  const started = performance.now();
  const {
    metric = "all",
    samples = 10_000,
    checkpoint = "final",
    seed = 0,
    validationCount = 1000,
    modelsDir = "models",
    onEvent = () => {},
  } = options;
  const { config } = await inspectRun(runDir);
  checkCount("samples", samples);
  checkCount("validationCount", validationCount);
  if (options.testCount !== undefined) {
    checkCount("testCount", options.testCount);
  }
  if (config.data.gcn) toUnitRange(new Float32Array(0), config);
  const noModes = config.dataset === "cifar10"
    ? "mode coverage is not offered for cifar10: no classifier here " +
      "recognises its classes well enough to judge modes"
    : undefined;
  if (metric === "modes" && noModes) throw new UserError(noModes);

  // The generator first: a bad checkpoint fails before the data loads.
  const g = await loadGenerator(runDir, {
    checkpoint,
    onSkip: (step, reason) =>
      onEvent({ type: "skipped-checkpoint", step, reason }),
  });
  const step = { step: g.step, path: g.checkpointPath };
  let generated: Float32Array;
  try {
    onEvent({ type: "generator", step: step.step, checkpointPath: step.path });
    onEvent({
      type: "stage",
      stage: "sample",
      total: samples,
      label: `drawing ${samples} samples (seed ${seed})`,
    });
    generated = await g.sampleArray(samples, { seed });
    onEvent({
      type: "progress",
      stage: "sample",
      done: samples,
      total: samples,
    });
  } finally {
    g.dispose();
  }

  const dataset = options.dataset ?? await loadDataset(config.dataset, {
    dataDir: options.dataDir ?? config.dataDir,
    range: "unit",
    onEvent: (event) => onEvent({ type: "data", event }),
  });
  if (dataset.name !== config.dataset) {
    throw new RangeError(
      `evaluateRun: dataset ${dataset.name} given for a ${config.dataset} run`,
    );
  }
  toUnitRange(generated, {
    data: config.data,
    unitMean: config.data.demean ? pixelMean(dataset.train) : undefined,
  });
  const pixels = dataset.train.height * dataset.train.width *
    dataset.train.channels;
  if (pixels * samples !== generated.length) {
    throw new UserError(
      `the generator makes images of ${generated.length / samples} values, ` +
        `but ${dataset.name} has ${pixels}; does config.json match the run?`,
    );
  }
  const real = {
    // As many real training images as samples, for both reference rows.
    train: firstImages(
      dataset.train,
      Math.min(samples, dataset.train.count),
      "train",
    ),
    validation: firstImages(dataset.validation, validationCount, "validation"),
    test: firstImages(
      dataset.test,
      options.testCount ?? dataset.test.count,
      "test",
    ),
  };
  const ctx: Context = { generated, real, dataset, step, onEvent };

  const notes: string[] = [];
  const parzen = metric !== "modes" ? await parzenSection(ctx) : undefined;
  let modes: ModesSection | undefined;
  if (metric !== "parzen") {
    if (noModes) {
      notes.push(noModes);
    } else {
      modes = await modesSection(ctx, {
        modelsDir,
        classifier: options.classifier,
      });
    }
  }

  return {
    format: "webgan-eval",
    version: FORMAT_VERSION,
    run: runDir,
    preset: config.preset,
    dataset: dataset.name,
    checkpoint: { step: step.step, path: step.path },
    pixelMapping: describeMapping(config.data),
    samples,
    seed,
    backend: tf.getBackend(),
    createdAt: (options.now ?? new Date()).toISOString(),
    seconds: (performance.now() - started) / 1000,
    ...(parzen ? { parzen } : {}),
    ...(modes ? { modes } : {}),
    notes,
  };
}

/** What the sections share. */
interface Context {
  generated: Float32Array;
  real: { train: Split; validation: Split; test: Split };
  dataset: Dataset;
  step: { step: number; path: string };
  onEvent: (event: EvalEvent) => void;
}

async function parzenSection(ctx: Context): Promise<ParzenSection> {
  const { real, step, onEvent } = ctx;
  const dim = real.test.height * real.test.width * real.test.channels;
  const total = real.validation.count + real.test.count;
  const score = async (
    stage: "parzen-generated" | "parzen-reference",
    centres: Float32Array,
  ) => {
    const count = centres.length / dim;
    onEvent({
      type: "stage",
      stage,
      total,
      label:
        `Parzen window on ${count} ${
          stage === "parzen-generated" ? "generated samples" : "training images"
        }: choosing σ on ${real.validation.count} validation images, ` +
        `scoring ${real.test.count} test images`,
    });
    return await parzenEvaluate(centres, {
      validation: real.validation.images,
      test: real.test.images,
      dim,
      onProgress: (done) => onEvent({ type: "progress", stage, done, total }),
    });
  };

  const gen = await score("parzen-generated", ctx.generated);
  const ref = await score("parzen-reference", real.train.images);
  const row = (
    label: string,
    description: string,
    r: typeof gen,
    samples: number,
  ): ParzenRow => ({
    label,
    description,
    samples,
    sigma: r.sigma,
    mean: r.mean,
    stderr: r.stderr,
    sigmaScores: r.sigmaScores,
  });
  return {
    validationCount: real.validation.count,
    testCount: real.test.count,
    generated: row(
      `generator (step ${step.step})`,
      "samples of the generator",
      gen,
      ctx.generated.length / dim,
    ),
    reference: row(
      "real training images",
      `the first ${real.train.count} images of the train split, scored as ` +
        "if they were samples",
      ref,
      real.train.count,
    ),
  };
}

async function modesSection(
  ctx: Context,
  options: { modelsDir: string; classifier?: Classifier },
): Promise<ModesSection> {
  const { real, dataset, onEvent, step } = ctx;
  const folder = classifierFolder(options.modelsDir, dataset.name);
  const clf = options.classifier ??
    await trainOrLoad(dataset, options.modelsDir, onEvent);
  try {
    const info: ClassifierSummary = {
      folder,
      source: options.classifier ? "given" : clf.source,
      testAccuracy: clf.testAccuracy,
      trainCount: clf.trainCount,
      epochs: clf.epochs,
    };
    onEvent({ type: "classifier", info });

    // One pass over generated, real test and real train images.
    const batches = [ctx.generated, real.test.images, real.train.images];
    const dim = real.test.height * real.test.width * real.test.channels;
    const total = batches.reduce((s, b) => s + b.length / dim, 0);
    onEvent({
      type: "stage",
      stage: "classify",
      total,
      label: `classifying ${total} images (generated, real test, real train)`,
    });
    const outputs = [];
    let done = 0;
    for (const images of batches) {
      outputs.push(await clf.classify(images));
      done += images.length / dim;
      onEvent({ type: "progress", stage: "classify", done, total });
    }
    const [gen, test, train] = outputs;

    const counts = new Array<number>(clf.numClasses).fill(0);
    for (const label of dataset.train.labels) counts[label]++;
    const row = (
      out: typeof gen,
      label: string,
      description: string,
    ): ModeRow => ({
      label,
      description,
      ...modeCoverage(out.probs, counts, {
        features: {
          real: train.features,
          generated: out.features,
          dim: clf.featureDim,
        },
      }),
    });
    return {
      classifier: info,
      realDistributionSource:
        `the labels of the ${dataset.train.count} training images`,
      featureReferenceCount: real.train.count,
      generated: row(
        gen,
        `generator (step ${step.step})`,
        "samples of the generator",
      ),
      reference: row(
        test,
        "real test images",
        `the first ${real.test.count} test images, classified like the ` +
          `samples; Fréchet distance against the first ${real.train.count} ` +
          "training images' features",
      ),
    };
  } finally {
    if (!options.classifier) clf.dispose();
  }
}

/** The cached classifier, or a new one with its training reported. */
async function trainOrLoad(
  dataset: Dataset,
  modelsDir: string,
  onEvent: (event: EvalEvent) => void,
): Promise<Classifier> {
  const folder = classifierFolder(modelsDir, dataset.name);
  const total = CLASSIFIER_EPOCHS *
    Math.floor(dataset.train.count / CLASSIFIER_BATCH);
  let announced = false;
  const announce = () => {
    announced = true;
    onEvent({
      type: "stage",
      stage: "classifier-train",
      total,
      label: `training the ${dataset.name} classifier (first use, under a ` +
        `minute on 2 cores; cached under ${folder})`,
    });
  };
  // Without a cache file it will train: say so before the first batch. A
  // stale cache is only found out inside, so then the first report says it.
  const cached = await Deno.stat(join(folder, "classifier.json")).then(
    () => true,
    () => false,
  );
  if (!cached) announce();
  return await loadOrTrainClassifier(dataset, {
    modelsDir,
    epochs: CLASSIFIER_EPOCHS,
    batchSize: CLASSIFIER_BATCH,
    onProgress: (p) => {
      if (!announced) announce();
      onEvent({
        type: "progress",
        stage: "classifier-train",
        done: (p.epoch - 1) * p.stepsPerEpoch + p.step,
        total,
        detail: `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)}`,
      });
    },
  });
}

function firstImages(split: Split, count: number, name: string): Split {
  if (count > split.count) {
    throw new UserError(
      `asked for ${count} ${name} images, but the ${name} split has only ` +
        `${split.count}`,
    );
  }
  const pixels = split.height * split.width * split.channels;
  return {
    ...split,
    images: split.images.subarray(0, count * pixels),
    labels: split.labels.subarray(0, count),
    count,
  };
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new UserError(`${name} must be an integer ≥ 1; got ${value}`);
  }
}

/**
 * The report as the text of `eval.json`. JSON has no infinity: an infinite
 * figure (the reverse KL when a class gets no sample) is written as the
 * string "Infinity".
 */
export function reportToJson(report: EvalReport): string {
  return JSON.stringify(
    report,
    (_, v) => typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    2,
  ) + "\n";
}

/**
 * The report as a text table: one block per metric, the generator's row
 * above its real-data reference row, then what the reference rows are.
 *
 * @param report What {@linkcode evaluateRun} returned.
 * @returns Lines joined by newlines, no trailing newline.
 */
export function formatReportTable(report: EvalReport): string {
  const lines = [
    `${report.dataset} · ${report.run} · step ${report.checkpoint.step} · ` +
    `${report.samples} samples (seed ${report.seed}), pixels ` +
    `${report.pixelMapping}`,
  ];
  const { parzen, modes } = report;
  if (parzen) {
    lines.push(
      "",
      `Parzen window log-likelihood, nats (σ chosen on ` +
        `${parzen.validationCount} validation images, ` +
        `${parzen.testCount} test images scored)`,
      ...alignColumns([
        ["", "centres", "σ", "log-likelihood"],
        ...[parzen.generated, parzen.reference].map((r) => [
          r.label,
          String(r.samples),
          r.sigma.toFixed(3),
          `${r.mean.toFixed(2)} ± ${r.stderr.toFixed(2)}`,
        ]),
      ]),
    );
  }
  if (modes) {
    const c = modes.classifier;
    const rows = [modes.generated, modes.reference];
    const k = modes.generated.histogram.length;
    const share = (d: number[]) => d.map((v) => (100 * v).toFixed(1));
    lines.push(
      "",
      `Mode coverage (classifier: test accuracy ` +
        `${(100 * c.testAccuracy).toFixed(1)} %, ${c.source}, ${c.folder})`,
      ...alignColumns([
        ["", "images", "classes", "KL", "JSD", "confidence", "Fréchet"],
        ...rows.map((r) => [
          r.label,
          String(r.count),
          `${r.classesCovered}/${k}`,
          formatNats(r.kl),
          formatNats(r.jsd),
          r.meanConfidence.toFixed(3),
          r.frechetDistance === undefined ? "-" : r.frechetDistance.toFixed(2),
        ]),
      ]),
      "",
      "class shares, %",
      ...alignColumns([
        ["", ...Array.from({ length: k }, (_, i) => String(i))],
        ...rows.map((r) => [r.label, ...share(r.distribution)]),
        ["real (train labels)", ...share(modes.generated.realDistribution)],
      ]),
    );
  }
  lines.push("", "reference rows:");
  if (parzen) lines.push(`  Parzen: ${parzen.reference.description}`);
  if (modes) {
    lines.push(
      `  modes: ${modes.reference.description}; KL and JSD (nats) against ` +
        `${modes.realDistributionSource}; a class counts as covered ` +
        `from ${100 * modes.generated.coverageThreshold} % of the images`,
    );
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join("\n");
}

function formatNats(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : "∞";
}

/** Pad cells to aligned columns: the first left-aligned, the rest right. */
function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, j) =>
    Math.max(...rows.map((r) => [...(r[j] ?? "")].length))
  );
  return rows.map((r) =>
    r.map((cell, j) => {
      const pad = " ".repeat(widths[j] - [...cell].length);
      return j === 0 ? cell + pad : pad + cell;
    }).join("  ").trimEnd()
  );
}
