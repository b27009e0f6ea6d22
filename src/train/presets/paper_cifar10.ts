/**
 * `paper-cifar10`: the paper's fully connected CIFAR-10 model (Goodfellow
 * et al. 2014, after goodfeli/adversarial `cifar10_fully_connected.yaml`):
 * G is 100 → 8000 ReLU → 8000 sigmoid → 3072 linear, D two maxout layers
 * of 1600 units × 5 pieces and a sigmoid unit, trained by SGD at 0.025 with
 * the MNIST momentum and decay schedule on GCN-preprocessed images.
 *
 * Where this differs from the yaml, because `paper-mlp` has one field for
 * each: G's output layer starts in ±0.05 like its hidden layers (the yaml:
 * ±0.5), and D's input dropout is not rescaled (the yaml: × 1.25).
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import type { SgdConfig } from "../optimizers.ts";
import { paperMnist, paperSgd } from "./paper_mnist.ts";

/** The paper's SGD at 0.025; an epoch is one pass over 45 000 images. */
function cifarSgd(): SgdConfig {
  // The yaml trained on 40 000 images (400 updates an epoch); webgan's
  // CIFAR-10 train split holds 45 000, so its epochs are 450 updates.
  return { ...(paperSgd(0.025) as SgdConfig), updatesPerEpoch: 450 };
}

/** The paper's CIFAR-10 fully connected model. */
export const paperCifar10: TrainConfig = {
  ...paperMnist,
  preset: "paper-cifar10",
  purpose: "the paper's fully connected CIFAR-10 model (8000-unit G, maxout D)",
  dataset: "cifar10",
  model: {
    kind: "paper-mlp",
    noiseDim: 100,
    generatorHidden: [8000, 8000],
    generatorActivations: ["relu", "sigmoid"],
    generatorOutput: "linear",
    generatorInitRange: 0.05,
    discriminatorMaxout: [[1600, 5], [1600, 5]],
    discriminatorInitRange: 0.005,
    inputKeep: 0.8,
    hiddenKeep: 0.5,
    // The CIFAR-10 yaml sets no max_col_norm.
    maxColumnNorm: 0,
  },
  data: { range: "unit", demean: false, gcn: true },
  batchSize: 100,
  discriminatorOptimizer: cifarSgd(),
  generatorOptimizer: cifarSgd(),
};
