/**
 * `low-dropout`: `seed-cifar10` with D dropping a third of its features
 * instead of half (keep 2/3) and Adam at 2e-4.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import { REFERENCE_CONV_CIFAR10, seedCifar10 } from "./seed_cifar10.ts";
import { referenceAdam } from "./seed_mnist.ts";

/** The reference's CIFAR-10 run with less dropout in D. */
export const lowDropout: TrainConfig = {
  ...seedCifar10,
  preset: "low-dropout",
  purpose: "seed-cifar10 with D dropout 1/3 instead of 1/2, lr 2e-4",
  model: { ...REFERENCE_CONV_CIFAR10, dropoutKeep: 2 / 3 },
  discriminatorOptimizer: referenceAdam(2e-4),
  generatorOptimizer: referenceAdam(2e-4),
};
