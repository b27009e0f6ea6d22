/**
 * Datasets for the GAN experiments: MNIST, Fashion-MNIST and CIFAR-10,
 * fetched and verified on first use, then loaded as float images with the
 * paper's split.
 *
 * Splits: MNIST and Fashion-MNIST train on images 0–50000 of the original
 * training set and validate on 50000–60000, as Goodfellow et al. (2014)
 * did; CIFAR-10 trains on 0–45000 and validates on 45000–50000 (our choice:
 * the paper does not say). The test split is the original test set.
 *
 * @example
 * ```ts
 * import { BatchSampler, loadDataset } from "./src/data/dataset.ts";
 * const mnist = await loadDataset("mnist", { range: "symmetric" });
 * const sampler = new BatchSampler(mnist.train, { batchSize: 100, seed: 1 });
 * const batch = sampler.next(); // 100 × 784 floats in [-1, 1]
 * ```
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import { type EnsureOptions, prepareDataset } from "./ensure.ts";
import type { DatasetSpec, FileRole } from "./spec.ts";
import {
  globalContrastNormalize,
  pixelMean,
  type PixelRange,
  scalePixels,
  subtractMean,
} from "./transforms.ts";
import type { Dataset, DatasetName, Split } from "./types.ts";
import type { RawSplit, VerifiedContent } from "./verify.ts";

export type {
  DataEvent,
  Dataset,
  DatasetName,
  EnsureResult,
  FileStatus,
  Provenance,
  SourceName,
  Split,
  VerifiedFile,
} from "./types.ts";
export { DATASET_NAMES, SOURCE_NAMES } from "./types.ts";
export { describeDataEvent, describeStatus } from "./describe.ts";
export { ensureDataset, type EnsureOptions } from "./ensure.ts";
export {
  type DatasetSpec,
  datasetSpec,
  type FileRole,
  type FileSpec,
  idxFiles,
  type IdxRole,
  type OfflineSpec,
  systemSource,
} from "./spec.ts";
export { type IdxData, parseIdx } from "./idx.ts";
export { type CifarBatch, parseCifarBatch } from "./cifar.ts";
export {
  BatchSampler,
  type SamplerOptions,
  type SamplerState,
} from "./sampler.ts";
export type { RngState } from "../util/rng.ts";
export {
  type GcnOptions,
  globalContrastNormalize,
  type PixelRange,
} from "./transforms.ts";

/** Options for {@linkcode loadDataset}. */
export interface LoadOptions extends EnsureOptions {
  /** Pixels in [0, 1] (`unit`) or [-1, 1] (`symmetric`). @default {"unit"} */
  range?: PixelRange;
  /**
   * Subtract the per-pixel mean of train from every split (after the other
   * transforms) and return it as `pixelMean`. @default {false}
   */
  demean?: boolean;
  /**
   * Global contrast normalisation of each image (scale 55, pylearn2's
   * CIFAR-10 preprocessing); values then leave the chosen range.
   * @default {false}
   */
  gcn?: boolean;
}

/**
 * Load a dataset, downloading and verifying it first when needed.
 *
 * @param name The dataset.
 * @param options Range, transforms, and where to find or fetch the files.
 * @returns Train, validation and test splits as float images.
 * @throws {UserError} When no verified copy can be had, or an option is bad.
 */
export async function loadDataset(
  name: DatasetName,
  options: LoadOptions = {},
): Promise<Dataset> {
  const range = options.range ?? "unit";
  if (range !== "unit" && range !== "symmetric") {
    throw new UserError(
      `pixel range "${range}" is unknown, expected "unit" or "symmetric"`,
    );
  }
  const { spec, contents } = await prepareDataset(name, options);
  if (spec.validationStart < 1 || spec.validationStart > spec.trainCount) {
    throw new Error(`spec ${spec.name} has a bad validationStart`);
  }
  const raw = originalSplits(spec, contents);

  // Scale, then normalise each image, then split train / validation.
  const trainAll = toSplit(raw.train, { spec, range });
  const test = toSplit(raw.test, { spec, range });
  if (options.gcn) {
    const pixels = spec.height * spec.width * spec.channels;
    globalContrastNormalize(trainAll.images, pixels);
    globalContrastNormalize(test.images, pixels);
  }
  const train = slice(trainAll, { from: 0, to: spec.validationStart });
  const validation = slice(trainAll, {
    from: spec.validationStart,
    to: trainAll.count,
  });
  const dataset: Dataset = { name: spec.name, train, validation, test };

  if (options.demean) {
    const mean = pixelMean(train);
    for (const split of [train, validation, test]) subtractMean(split, mean);
    dataset.pixelMean = mean;
  }
  return dataset;
}

function originalSplits(
  spec: DatasetSpec,
  contents: Map<string, VerifiedContent>,
): { train: RawSplit; test: RawSplit } {
  const byRole = (role: FileRole): VerifiedContent => {
    const file = spec.files.find((f) => f.role === role);
    const content = file && contents.get(file.name);
    if (!content) throw new Error(`spec ${spec.name} has no ${role} file`);
    return content;
  };
  if (spec.format === "cifar10") return byRole("archive").splits!;
  const split = (prefix: "train" | "test", count: number): RawSplit => ({
    images: byRole(`${prefix}-images`).idx!,
    labels: byRole(`${prefix}-labels`).idx!,
    count,
  });
  return {
    train: split("train", spec.trainCount),
    test: split("test", spec.testCount),
  };
}

function toSplit(
  raw: RawSplit,
  how: { spec: DatasetSpec; range: PixelRange },
): Split {
  const { spec, range } = how;
  return {
    images: scalePixels(raw.images, range),
    labels: raw.labels.slice(),
    count: raw.count,
    height: spec.height,
    width: spec.width,
    channels: spec.channels,
  };
}

/** Images `from`–`to` of a split, sharing its memory. */
function slice(split: Split, range: { from: number; to: number }): Split {
  const { from, to } = range;
  const pixels = split.height * split.width * split.channels;
  return {
    ...split,
    images: split.images.subarray(from * pixels, to * pixels),
    labels: split.labels.subarray(from, to),
    count: to - from,
  };
}
