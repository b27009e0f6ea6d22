/**
 * Small synthetic datasets for tests that must not depend on real data.
 *
 * @module
 */
import type { Dataset, Split } from "../src/data/dataset.ts";
import { Rng } from "../src/util/rng.ts";

/** A split of `count` random images of the given shape in [0, 1]. */
export function syntheticSplit(
  count: number,
  shape: { height: number; width: number; channels: number },
  seed = 1,
): Split {
  const rng = new Rng(seed);
  const pixels = shape.height * shape.width * shape.channels;
  const images = rng.uniform(count * pixels, 0, 1);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { images, labels, count, ...shape };
}

/** A dataset of random images, named as `name` for the run folder. */
export function syntheticDataset(
  name: Dataset["name"],
  shape = { height: 28, width: 28, channels: 1 },
  count = 64,
): Dataset {
  return {
    name,
    train: syntheticSplit(count, shape, 1),
    validation: syntheticSplit(16, shape, 2),
    test: syntheticSplit(16, shape, 3),
  };
}
