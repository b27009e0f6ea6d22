/**
 * `d-batchnorm`: the PyTorch reference's MNIST run with batch norm after
 * each of D's convolutions (not on its logit, not in G) and Adam at 1e-5;
 * the rest as in `seed-mnist`.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import {
  REFERENCE_CONV_MNIST,
  referenceAdam,
  seedMnist,
} from "./seed_mnist.ts";

/** The reference's run with a batch-normalised conv D. */
export const dBatchnorm: TrainConfig = {
  ...seedMnist,
  preset: "d-batchnorm",
  purpose: "reference conv GAN on MNIST with batch norm in D, lr 1e-5",
  model: { ...REFERENCE_CONV_MNIST, discriminatorBatchNorm: true },
  discriminatorOptimizer: referenceAdam(1e-5),
  generatorOptimizer: referenceAdam(1e-5),
};
