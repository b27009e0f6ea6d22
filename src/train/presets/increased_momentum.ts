/**
 * `increased-momentum`: `seed-cifar10` with Adam's β1 raised from 0.5 to
 * 0.9 (Adam's own default) for both players: gradients are averaged over
 * about 10 steps instead of 2, so each player reacts later to the other's
 * moves.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import { seedCifar10 } from "./seed_cifar10.ts";
import { referenceAdam } from "./seed_mnist.ts";

/** The raised β1. */
export const INCREASED_BETA1 = 0.9;

/** The reference's CIFAR-10 run with more momentum. */
export const increasedMomentum: TrainConfig = {
  ...seedCifar10,
  preset: "increased-momentum",
  purpose: `seed-cifar10 with Adam β1 raised from 0.5 to ${INCREASED_BETA1}`,
  discriminatorOptimizer: referenceAdam(1e-4, { beta1: INCREASED_BETA1 }),
  generatorOptimizer: referenceAdam(1e-4, { beta1: INCREASED_BETA1 }),
};
