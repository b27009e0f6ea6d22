/**
 * `demeaned-data`: `seed-cifar10` on images whose per-pixel training mean
 * is subtracted after scaling to [-1, 1], so the data no longer spans the
 * range of G's tanh.
 *
 * @module
 */
import type { TrainConfig } from "../config.ts";
import { seedCifar10 } from "./seed_cifar10.ts";

/** The reference's CIFAR-10 run on mean-subtracted data. */
export const demeanedData: TrainConfig = {
  ...seedCifar10,
  preset: "demeaned-data",
  purpose: "seed-cifar10 with the per-pixel training mean subtracted",
  data: { ...seedCifar10.data, demean: true },
};
