/**
 * Mode coverage: how generated samples spread over a dataset's classes, as
 * judged by a pretrained classifier. A generator that has collapsed onto a
 * few modes (the "Helvetica scenario" of Goodfellow et al. 2014, section 6)
 * shows few covered classes, a large divergence from the real class
 * distribution, and often a high classifier confidence on what it does make.
 *
 * A class counts as covered when at least `coverageThreshold` of the
 * samples (1 % by default) are classified into it.
 *
 * @module
 */
import { jsDivergence, klDivergence, normalize } from "./divergence.ts";
import { frechetDistance } from "./frechet.ts";

/** Options for {@linkcode modeCoverage}. */
export interface ModeCoverageOptions {
  /**
   * Smallest share of the samples a class must get to count as covered.
   * @default {0.01}
   */
  coverageThreshold?: number;
  /**
   * Penultimate classifier features of real and of generated samples, to
   * add a Fréchet distance to the report.
   */
  features?: {
    /** Real samples' features, flat, n × dim. */
    real: Float32Array;
    /** Generated samples' features, flat, m × dim. */
    generated: Float32Array;
    /** Feature dimension. */
    dim: number;
  };
}

/** What {@linkcode modeCoverage} found. */
export interface ModeReport {
  /** Number of generated samples classified. */
  count: number;
  /** Generated samples per predicted class (argmax of the probabilities). */
  histogram: number[];
  /** The histogram as a distribution. */
  distribution: number[];
  /** The real class distribution compared against. */
  realDistribution: number[];
  /** The share a class needed to count as covered. */
  coverageThreshold: number;
  /** Number of classes covered. */
  classesCovered: number;
  /** The covered classes, ascending. */
  coveredClasses: number[];
  /** KL(generated ‖ real) over classes, in nats. */
  kl: number;
  /**
   * KL(real ‖ generated), in nats: `Infinity` as soon as a real class gets
   * no sample at all, which is what makes it a sharp test of dropped modes.
   */
  reverseKl: number;
  /** JSD(generated ‖ real) over classes, in nats (at most log 2). */
  jsd: number;
  /** Mean of the classifier's highest probability per sample. */
  meanConfidence: number;
  /**
   * Fréchet distance between Gaussians fitted to real and generated
   * features; present only when features were given.
   */
  frechetDistance?: number;
}

/**
 * Summarise how generated samples cover the classes.
 *
 * @example
 * ```ts
 * // Two samples, two classes, both predicted as class 0.
 * const probs = new Float32Array([0.9, 0.1, 0.8, 0.2]);
 * const report = modeCoverage(probs, [50, 50]);
 * report.classesCovered; // 1
 * ```
 *
 * @param genProbs Classifier probabilities of the generated samples, flat,
 *   count × classes.
 * @param realLabelCounts How many real samples each class has (or any
 *   weights proportional to the real class distribution); its length is the
 *   number of classes.
 * @returns The histogram, coverage, divergences and confidence.
 * @throws {RangeError} When `genProbs` does not fit the number of classes.
 */
export function modeCoverage(
  genProbs: Float32Array,
  realLabelCounts: ArrayLike<number>,
  options: ModeCoverageOptions = {},
): ModeReport {
  const { coverageThreshold = 0.01, features } = options;
  const k = realLabelCounts.length;
  const count = genProbs.length / k;
  if (k < 1 || !Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `Cannot read ${genProbs.length} probabilities as rows of ${k} classes`,
    );
  }

  // Predicted class and its probability, per sample.
  const histogram = new Array<number>(k).fill(0);
  let confidence = 0;
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) {
      if (genProbs[i * k + c] > genProbs[i * k + best]) best = c;
    }
    histogram[best]++;
    confidence += genProbs[i * k + best];
  }

  const gen = normalize(histogram);
  const real = normalize(realLabelCounts);
  const coveredClasses = histogram
    .map((_, c) => c)
    .filter((c) => gen[c] >= coverageThreshold);
  const report: ModeReport = {
    count,
    histogram,
    distribution: [...gen],
    realDistribution: [...real],
    coverageThreshold,
    classesCovered: coveredClasses.length,
    coveredClasses,
    kl: klDivergence(gen, real),
    reverseKl: klDivergence(real, gen),
    jsd: jsDivergence(gen, real),
    meanConfidence: confidence / count,
  };
  if (features) {
    report.frechetDistance = frechetDistance(
      features.real,
      features.generated,
      { dim: features.dim },
    );
  }
  return report;
}
