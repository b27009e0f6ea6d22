/**
 * `paper-mnist`: the paper's MNIST model and schedule (Goodfellow et al.
 * 2014, after goodfeli/adversarial `mnist.yaml`), with a step budget that
 * gives recognisable digits in about 3 minutes on a 2-core CPU.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";

/** The paper's SGD schedule at a given initial learning rate. */
export function paperSgd(lr: number): TrainConfig["generatorOptimizer"] {
  return {
    kind: "sgd",
    lr,
    decay: 1.000004,
    minLr: 1e-6,
    momentumStart: 0.5,
    momentumEnd: 0.7,
    momentumStartEpoch: 1,
    momentumEndEpoch: 250,
    updatesPerEpoch: 500,
  };
}

/** The default preset. */
export const paperMnist: TrainConfig = {
  preset: "paper-mnist",
  purpose: "the paper's MLP generator and maxout discriminator on MNIST",
  dataset: "mnist",
  model: {
    kind: "paper-mlp",
    noiseDim: 100,
    generatorHidden: [1200, 1200],
    generatorActivations: ["relu", "relu"],
    generatorOutput: "sigmoid",
    generatorInitRange: 0.05,
    discriminatorMaxout: [[240, 5], [240, 5]],
    discriminatorInitRange: 0.005,
    inputKeep: 0.8,
    hiddenKeep: 0.5,
    // mnist.yaml sets no max_col_norm on D (cifar10 configs comment it out).
    maxColumnNorm: 0,
  },
  data: { range: "unit", demean: false, gcn: false },
  noise: "uniform-sqrt3",
  steps: 4000,
  batchSize: 100,
  discriminatorSteps: 1,
  // The authors' code takes both players' gradients in one pass and
  // applies them together (AdversaryCost2 under pylearn2's SGD). With
  // alternating updates, Algorithm 1 as printed, D won outright in three of
  // four 4000-step runs here (seeds 1 to 4): G's loss climbed past 8 and
  // every sample froze into the same shape.
  updates: "simultaneous",
  generatorLoss: "non-saturating",
  // AdversaryCost2 in the authors' code: d_obj = ½ (real term + fake term).
  discriminatorLoss: "mean",
  discriminatorOptimizer: paperSgd(0.1),
  generatorOptimizer: paperSgd(0.1),
  seed: 1,
  checkpointEvery: 500,
  readEvery: 10,
  coverageEvery: 0,
  backend: "auto",
  out: "models",
  dataDir: "data",
  tag: "",
};

/** The paper's long schedule: 50 000 updates (100 epochs of 500). */
export const paperMnistLong: TrainConfig = {
  ...paperMnist,
  preset: "paper-mnist-long",
  purpose: "paper-mnist for 50k steps, the length of the peer's best score",
  steps: 50_000,
  checkpointEvery: 2500,
};
