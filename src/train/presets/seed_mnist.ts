/**
 * `seed-mnist`: the PyTorch reference's good MNIST run, its convolutional
 * G and D (`../../models/reference_conv.ts`) trained with Adam at 1e-4,
 * betas (0.5, 0.999), batch 128, D's loss the mean of its two BCE terms.
 *
 * The reference fed [0, 1] images to a tanh generator, whose outputs span
 * [-1, 1]: half of G's range lay outside the data, and D could call any
 * negative pixel fake. We fix this by scaling the data to [-1, 1]
 * (`data.range: "symmetric"`).
 *
 * The step budget is ours, not the reference's: about 8 epochs of the
 * 50 000-image train split.
 *
 * @module
 */
import type { AdamConfig } from "../optimizers.ts";
import type { TrainConfig } from "../config.ts";
import type { ReferenceConvConfig } from "../../models/reference_conv.ts";
import { paperMnist } from "./paper_mnist.ts";

/** The reference's Adam: PyTorch's defaults but β1 = 0.5. */
export function referenceAdam(
  lr: number,
  options: { beta1?: number } = {},
): AdamConfig {
  return {
    kind: "adam",
    lr,
    beta1: options.beta1 ?? 0.5,
    beta2: 0.999,
    epsilon: 1e-8,
  };
}

/** The reference's MNIST G and D, without batch norm. */
export const REFERENCE_CONV_MNIST: ReferenceConvConfig = {
  kind: "reference-conv",
  noiseDim: 100,
  generatorStartChannels: 128,
  generatorChannels: [128, 128],
  discriminatorChannels: [64, 64],
  kernel: 3,
  leak: 0.2,
  dropoutKeep: 1,
  generatorBatchNorm: false,
  discriminatorBatchNorm: false,
  discriminatorLogitBatchNorm: false,
};

/** The reference's good MNIST run. */
export const seedMnist: TrainConfig = {
  ...paperMnist,
  preset: "seed-mnist",
  purpose: "the PyTorch reference's conv G and D on MNIST, Adam 1e-4",
  dataset: "mnist",
  model: REFERENCE_CONV_MNIST,
  data: { range: "symmetric", demean: false, gcn: false },
  // The reference drew z from torch.randn.
  noise: "normal",
  steps: 3000,
  batchSize: 128,
  discriminatorSteps: 1,
  updates: "alternating",
  generatorLoss: "non-saturating",
  discriminatorLoss: "mean",
  discriminatorOptimizer: referenceAdam(1e-4),
  generatorOptimizer: referenceAdam(1e-4),
  checkpointEvery: 250,
};
