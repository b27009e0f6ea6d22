/**
 * `convergence-fail`: the PyTorch reference's run that never converged.
 * Its MNIST conv G and D with batch norm in every block, D's logit
 * included, and Adam at 1e-5; the rest as in `seed-mnist`. Normalising
 * D's logit over the batch forces half of every batch to either side of
 * D(x) = ½, real or fake, so D cannot learn to separate them.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import {
  REFERENCE_CONV_MNIST,
  referenceAdam,
  seedMnist,
} from "./seed_mnist.ts";

/** The reference's run with batch norm everywhere. */
export const convergenceFail: TrainConfig = {
  ...seedMnist,
  preset: "convergence-fail",
  purpose: "reference conv GAN with batch norm in every block, lr 1e-5",
  model: {
    ...REFERENCE_CONV_MNIST,
    generatorBatchNorm: true,
    discriminatorBatchNorm: true,
    discriminatorLogitBatchNorm: true,
  },
  discriminatorOptimizer: referenceAdam(1e-5),
  generatorOptimizer: referenceAdam(1e-5),
};
