/**
 * `mode-collapse`: the PyTorch reference's run whose generator collapsed
 * onto a few digits. Its MLP G and D (`../../models/reference_mlp.ts`),
 * Adam at 1e-5, and a LeakyReLU on D's logit before the sigmoid; the rest
 * as in `seed-mnist`.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import { referenceAdam, seedMnist } from "./seed_mnist.ts";

/** The reference's mode-collapse run. */
export const modeCollapse: TrainConfig = {
  ...seedMnist,
  preset: "mode-collapse",
  purpose: "reference MLP GAN, lr 1e-5, LeakyReLU before D's sigmoid",
  model: {
    kind: "reference-mlp",
    noiseDim: 100,
    generatorHidden: [128, 256, 512, 1024],
    discriminatorHidden: [512, 256],
    leak: 0.2,
    logitActivation: "leaky-relu",
  },
  discriminatorOptimizer: referenceAdam(1e-5),
  generatorOptimizer: referenceAdam(1e-5),
};
