/**
 * `doubled-lr`: `seed-cifar10` with Adam's learning rate doubled to 2e-4
 * for both players.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import { seedCifar10 } from "./seed_cifar10.ts";
import { referenceAdam } from "./seed_mnist.ts";

/** The reference's CIFAR-10 run at twice the learning rate. */
export const doubledLr: TrainConfig = {
  ...seedCifar10,
  preset: "doubled-lr",
  purpose: "seed-cifar10 with the learning rate doubled to 2e-4",
  discriminatorOptimizer: referenceAdam(2e-4),
  generatorOptimizer: referenceAdam(2e-4),
};
