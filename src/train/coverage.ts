/**
 * Mode coverage during training (`coverageEvery` > 0): every so many steps
 * the generator draws {@linkcode COVERAGE_SAMPLES} images from one fixed
 * noise batch, a pretrained classifier labels them, and the class histogram
 * is compared with the real training labels (see `../eval/modes.ts`). The
 * figures go to `metrics.csv`, and a check that finds the modes collapsed
 * says so (see {@linkcode COLLAPSE_THRESHOLDS}).
 *
 * The classifier is the one `deno task evaluate` uses, cached under
 * `<out>/_classifiers/<dataset>/`, and trained (under a minute on 2
 * cores) on first use. It exists for MNIST and Fashion-MNIST only; runs on
 * CIFAR-10 or on contrast-normalised images are refused.
 *
 * A check runs G in evaluation mode on its own noise and draws nothing from
 * the session's random stream, so it leaves the training itself unchanged.
 *
 * @module
 */
import type { Tensor2D } from "../backend/tf.ts";
import { UserError } from "../cli/errors.ts";
import type { Dataset, Split } from "../data/types.ts";
import {
  type Classifier,
  classifierFolder,
  type ClassifierProgress,
  loadOrTrainClassifier,
} from "../eval/classifier.ts";
import { modeCoverage } from "../eval/modes.ts";
import { toUnitRange } from "../eval/report.ts";
import type { TrainConfig } from "./config.ts";
import { type GanSession, sampleNoise } from "./session.ts";

/** Generated samples classified at each coverage check. */
export const COVERAGE_SAMPLES = 1000;

/**
 * When a check calls the modes collapsed: fewer than `minClassShare` of
 * the classes covered (8 of 10; a class is covered when it gets at least
 * 1 % of the samples), or a Jensen–Shannon divergence from the real class
 * distribution above `maxJsd` nats. For scale, against 10 equally frequent
 * classes: samples spread evenly over 8 of them are at 0.075 nats, over 5
 * at 0.22, all in one at 0.53 (log 2 ≈ 0.69 is the most there is).
 */
export const COLLAPSE_THRESHOLDS = {
  minClassShare: 0.8,
  maxJsd: 0.1,
} as const;

/** What one coverage check found. */
export interface CoverageCheck {
  /** The training step it was made at. */
  step: number;
  /** Classes that got at least 1 % of the samples. */
  classesCovered: number;
  /** Classes the classifier knows. */
  classes: number;
  /** JSD of the samples' class histogram from the real labels, in nats. */
  jsd: number;
  /** Samples per predicted class. */
  histogram: number[];
  /** Whether the check breaks {@linkcode COLLAPSE_THRESHOLDS}. */
  collapsed: boolean;
}

/** Where the classifier of a coverage monitor came from. */
export interface CoverageClassifierInfo {
  /** Read from the cache, trained now, or given by the caller. */
  source: "loaded" | "trained" | "given";
  /** Its accuracy on the test split (0..1). */
  testAccuracy: number;
  /** Its cache folder; absent for a given one. */
  folder?: string;
}

/** Options for {@linkcode CoverageMonitor.open}. */
export interface CoverageMonitorOptions {
  /** A classifier to use instead of the cached or newly trained one. */
  classifier?: Classifier;
  /** Receives the classifier's training progress, on first use. */
  onProgress?: (progress: ClassifierProgress, folder: string) => void;
}

/**
 * Whether a check with these figures breaks
 * {@linkcode COLLAPSE_THRESHOLDS}.
 *
 * @param covered Classes covered.
 * @param figures The number of classes and the JSD in nats.
 */
export function isCollapsed(
  covered: number,
  figures: { classes: number; jsd: number },
): boolean {
  const { minClassShare, maxJsd } = COLLAPSE_THRESHOLDS;
  return covered < Math.ceil(minClassShare * figures.classes) ||
    figures.jsd > maxJsd;
}

/**
 * Refuse a config whose coverage checks cannot work: a CIFAR-10 run (no
 * classifier) or one on contrast-normalised images (no pixel scale).
 *
 * @throws {UserError} When `coverageEvery` > 0 and the run is one of those.
 */
export function checkCoverageConfig(config: TrainConfig): void {
  if (config.coverageEvery === 0) return;
  if (config.dataset === "cifar10") {
    throw new UserError(
      `coverageEvery is ${config.coverageEvery}, but mode coverage is not ` +
        "offered for cifar10 (no classifier here recognises its classes); " +
        "set it to 0",
    );
  }
  if (config.data.gcn) {
    throw new UserError(
      `coverageEvery is ${config.coverageEvery}, but the run uses ` +
        "contrast-normalised images (data.gcn), whose samples a classifier " +
        "cannot judge; set it to 0",
    );
  }
}

/** Periodic mode-coverage checks of one training run. */
export class CoverageMonitor {
  /** Where the classifier came from. */
  readonly info: CoverageClassifierInfo;
  #classifier: Classifier;
  #owned: boolean;
  #config: TrainConfig;
  #labelCounts: number[];
  #unitMean?: Float32Array;
  #noise?: Tensor2D;

  private constructor(
    classifier: Classifier,
    how: {
      info: CoverageClassifierInfo;
      config: TrainConfig;
      train: Split;
      unitMean?: Float32Array;
    },
  ) {
    this.#classifier = classifier;
    this.#owned = how.info.source !== "given";
    this.info = how.info;
    this.#config = how.config;
    this.#unitMean = how.unitMean;
    this.#labelCounts = new Array<number>(classifier.numClasses).fill(0);
    for (const label of how.train.labels) this.#labelCounts[label]++;
  }

  /**
   * Get the classifier for `dataset` (given, cached, or trained now and
   * cached under `<config.out>/_classifiers/`).
   *
   * @param config The run's config; `coverageEvery` must pass
   *   {@linkcode checkCoverageConfig}.
   * @param dataset The dataset as the run sees it (its range and
   *   transforms).
   * @returns A monitor; {@linkcode CoverageMonitor.dispose} it.
   */
  static async open(
    config: TrainConfig,
    dataset: Dataset,
    options: CoverageMonitorOptions = {},
  ): Promise<CoverageMonitor> {
    checkCoverageConfig(config);
    const unitMean = unitPixelMean(dataset, config);
    const how = { config, train: dataset.train, unitMean };
    if (options.classifier) {
      const { testAccuracy } = options.classifier;
      return new CoverageMonitor(options.classifier, {
        ...how,
        info: { source: "given", testAccuracy },
      });
    }
    const folder = classifierFolder(config.out, dataset.name);
    const classifier = await loadOrTrainClassifier(
      unitRangeDataset(dataset, config, unitMean),
      {
        modelsDir: config.out,
        onProgress: (p) => options.onProgress?.(p, folder),
      },
    );
    const { source, testAccuracy } = classifier;
    return new CoverageMonitor(classifier, {
      ...how,
      info: { source, testAccuracy, folder },
    });
  }

  /**
   * Classify {@linkcode COVERAGE_SAMPLES} samples of the session's
   * generator, always from the same noise, and compare their classes with
   * the real ones.
   *
   * @param session The training session, at the step to check.
   * @returns The figures, with `collapsed` set per the thresholds.
   */
  async measure(session: GanSession): Promise<CoverageCheck> {
    this.#noise ??= sampleNoise(
      this.#config.noise,
      [COVERAGE_SAMPLES, session.noiseDim],
      this.#config.seed + 104_729,
    );
    const samples = toUnitRange(await session.generate(this.#noise), {
      data: this.#config.data,
      unitMean: this.#unitMean,
    });
    const { probs } = await this.#classifier.classify(samples);
    const report = modeCoverage(probs, this.#labelCounts);
    const classes = this.#labelCounts.length;
    return {
      step: session.step,
      classesCovered: report.classesCovered,
      classes,
      jsd: report.jsd,
      histogram: report.histogram,
      collapsed: isCollapsed(report.classesCovered, {
        classes,
        jsd: report.jsd,
      }),
    };
  }

  /** Release the noise, and the classifier unless it was given. */
  dispose(): void {
    this.#noise?.dispose();
    this.#noise = undefined;
    if (this.#owned) this.#classifier.dispose();
  }
}

/** The training mean in [0, 1], for runs on mean-subtracted images. */
function unitPixelMean(
  dataset: Dataset,
  config: TrainConfig,
): Float32Array | undefined {
  if (!config.data.demean) return undefined;
  const mean = dataset.pixelMean;
  if (!mean) {
    throw new RangeError(
      "CoverageMonitor: a run with data.demean needs the dataset's pixelMean",
    );
  }
  // The mean was taken in the model's range; [-1, 1] maps back by
  // (m + 1) / 2.
  return config.data.range === "symmetric"
    ? Float32Array.from(mean, (m) => (m + 1) / 2)
    : mean;
}

/** The dataset with pixels in [0, 1], as the classifier wants them. */
function unitRangeDataset(
  dataset: Dataset,
  config: TrainConfig,
  unitMean: Float32Array | undefined,
): Dataset {
  const { range, demean } = config.data;
  if (range === "unit" && !demean) return dataset;
  const map = (split: Split): Split => ({
    ...split,
    images: toUnitRange(split.images.slice(), {
      data: config.data,
      unitMean,
    }),
  });
  return {
    name: dataset.name,
    train: map(dataset.train),
    validation: map(dataset.validation),
    test: map(dataset.test),
  };
}
