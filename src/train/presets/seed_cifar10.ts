/**
 * `seed-cifar10`: the PyTorch reference's good CIFAR-10 run, its
 * convolutional G and D (`../../models/reference_conv.ts`) trained with
 * Adam at 1e-4, betas (0.5, 0.999), batch 64, D's loss the mean of its two
 * BCE terms, on images scaled to [-1, 1] to match G's tanh (the reference
 * fed [0, 1] images; we fix that, as in `seed-mnist`).
 *
 * The step budget is ours, not the reference's: about 7 epochs of the
 * 45 000-image train split.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import type { ReferenceConvConfig } from "../../models/reference_conv.ts";
import { referenceAdam, seedMnist } from "./seed_mnist.ts";

/** The reference's CIFAR-10 G and D, without batch norm. */
export const REFERENCE_CONV_CIFAR10: ReferenceConvConfig = {
  kind: "reference-conv",
  noiseDim: 100,
  generatorStartChannels: 256,
  generatorChannels: [128, 128, 128],
  discriminatorChannels: [64, 128, 256],
  kernel: 3,
  leak: 0.2,
  dropoutKeep: 0.5,
  generatorBatchNorm: false,
  discriminatorBatchNorm: false,
  discriminatorLogitBatchNorm: false,
};

/** The reference's good CIFAR-10 run. */
export const seedCifar10: TrainConfig = {
  ...seedMnist,
  preset: "seed-cifar10",
  purpose: "the PyTorch reference's conv G and D on CIFAR-10, Adam 1e-4",
  dataset: "cifar10",
  model: REFERENCE_CONV_CIFAR10,
  steps: 5000,
  batchSize: 64,
  discriminatorOptimizer: referenceAdam(1e-4),
  generatorOptimizer: referenceAdam(1e-4),
  checkpointEvery: 500,
};
