/**
 * Mode coverage during training: with `coverageEvery` set, `train()`
 * classifies samples of G every so many steps, records `classesCovered`
 * and `coverageJsd` in metrics.csv on exactly those steps, reports each
 * check, and calls the modes collapsed by the documented thresholds. The
 * classifiers here are stubs whose answers are known, so every figure has
 * a closed form.
 */
import assert from "node:assert";
import { join } from "node:path";
import { selectBackend } from "../src/backend/select.ts";
import { tf } from "../src/backend/tf.ts";
import { UserError } from "../src/cli/errors.ts";
import { type Dataset, loadDataset } from "../src/data/dataset.ts";
import type { Classifier } from "../src/eval/classifier.ts";
import { jsDivergence, normalize } from "../src/eval/divergence.ts";
import { applyOverrides, type TrainConfig } from "../src/train/config.ts";
import {
  COLLAPSE_THRESHOLDS,
  COVERAGE_SAMPLES,
  isCollapsed,
} from "../src/train/coverage.ts";
import { metricsToCsv, parseMetricsCsv } from "../src/train/metrics_log.ts";
import { getPreset } from "../src/train/presets.ts";
import { METRIC_COLUMNS } from "../src/train/session.ts";
import { train, type TrainEvent } from "../src/train/train.ts";
import { syntheticDataset } from "./_synthetic.ts";

const mnist: Dataset = await loadDataset("mnist", { dataDir: "data" });
const realCounts = new Array<number>(10).fill(0);
for (const label of mnist.train.labels) realCounts[label]++;

const outs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of outs) Deno.removeSync(dir, { recursive: true });
});
function tempOut(): string {
  const dir = Deno.makeTempDirSync({ prefix: "webgan_coverage_" });
  outs.push(dir);
  return dir;
}

/** paper-mnist shrunk so that a step takes milliseconds. */
function tinyConfig(out: string, overrides: string[] = []): TrainConfig {
  return applyOverrides(getPreset("paper-mnist"), [
    "model.noiseDim=8",
    "model.generatorHidden=[16,16]",
    "model.discriminatorMaxout=[[8,2],[8,2]]",
    "batchSize=4",
    "steps=5",
    "checkpointEvery=100",
    "readEvery=10",
    "coverageEvery=2",
    "backend=wasm",
    "seed=3",
    `out=${out}`,
    ...overrides,
  ]);
}

/**
 * A classifier that puts image `i` of each batch in class `pick(i)` with
 * probability 0.91 (0.01 elsewhere), and keeps the images it was shown.
 */
function stubClassifier(pick: (i: number) => number): Classifier & {
  seen: Float32Array[];
} {
  const seen: Float32Array[] = [];
  return {
    seen,
    datasetName: "mnist",
    inputShape: [28, 28, 1],
    testAccuracy: 0.5,
    source: "loaded",
    trainCount: 0,
    epochs: 0,
    seed: 0,
    numClasses: 10,
    featureDim: 2,
    classify(images: Float32Array) {
      seen.push(images.slice());
      const count = images.length / 784;
      const probs = new Float32Array(count * 10).fill(0.01);
      for (let i = 0; i < count; i++) probs[i * 10 + pick(i)] = 0.91;
      const features = new Float32Array(count * 2);
      return Promise.resolve({ probs, features });
    },
    accuracy: () => Promise.resolve(0.5),
    save: () => Promise.resolve(),
    dispose: () => {},
  };
}

/** JSD of a histogram from the real MNIST training labels, directly. */
function jsdFromReal(histogram: number[]): number {
  return jsDivergence(normalize(histogram), normalize(realCounts));
}

/** The cells of metrics.csv, header first. */
async function csvCells(root: string): Promise<string[][]> {
  const text = await Deno.readTextFile(join(root, "metrics.csv"));
  return text.trimEnd().split("\n").map((l) => l.split(","));
}

Deno.test("train() records mode coverage every coverageEvery steps", async () => {
  await selectBackend("wasm");
  const clf = stubClassifier((i) => i % 10);
  const events: TrainEvent[] = [];
  const before = tf.memory().numTensors;
  const result = await train(tinyConfig(tempOut()), {
    dataset: mnist,
    classifier: clf,
    onEvent: (e) => events.push(e),
  });
  assert.strictEqual(tf.memory().numTensors, before, "tensors leaked");
  assert.strictEqual(result.step, 5);

  // One check at steps 2 and 4, each before that step's progress report.
  const order = events
    .filter((e) => e.type === "coverage" || e.type === "progress")
    .map((e) => `${e.type}@${(e as { step: number }).step}`);
  assert.deepStrictEqual(order, [
    "coverage@2",
    "progress@2",
    "coverage@4",
    "progress@4",
    "progress@5",
  ]);
  const spread = new Array<number>(10).fill(COVERAGE_SAMPLES / 10);
  const jsd = jsdFromReal(spread);
  for (const e of events) {
    if (e.type !== "coverage") continue;
    assert.deepStrictEqual(e.histogram, spread);
    assert.strictEqual(e.classesCovered, 10);
    assert.strictEqual(e.classes, 10);
    assert.ok(Math.abs(e.jsd - jsd) < 1e-12, `JSD off by ${e.jsd - jsd}`);
    assert.strictEqual(e.collapsed, false);
  }
  const start = events.find((e) => e.type === "start");
  assert.deepStrictEqual(start?.type === "start" && start.coverage, {
    every: 2,
    classifier: { source: "given", testAccuracy: 0.5 },
  });

  // Filled on steps 2 and 4, blank elsewhere.
  const cells = await csvCells(result.paths.root);
  assert.deepStrictEqual(cells[0], [
    ...METRIC_COLUMNS,
    "classesCovered",
    "coverageJsd",
  ]);
  assert.deepStrictEqual(cells.slice(1).map((r) => r.slice(-2)), [
    ["", ""],
    ["10", String(jsd)],
    ["", ""],
    ["10", String(jsd)],
    ["", ""],
  ]);
  const rows = parseMetricsCsv(
    await Deno.readTextFile(result.paths.metricsCsv),
  );
  assert.deepStrictEqual(
    rows.map((r) => [r.step, r.classesCovered]),
    [[1, undefined], [2, 10], [3, undefined], [4, 10], [5, undefined]],
  );

  // Each check classifies the same number of images, in [0, 1].
  assert.strictEqual(clf.seen.length, 2);
  for (const images of clf.seen) {
    assert.strictEqual(images.length, COVERAGE_SAMPLES * 784);
    const outside = images.filter((v) => !(v >= 0 && v <= 1)).length;
    assert.strictEqual(outside, 0, `${outside} pixels outside [0, 1]`);
  }
});

Deno.test("train() with coverage trains exactly as without", async () => {
  const run = async (coverageEvery: number) => {
    const config = tinyConfig(tempOut(), [`coverageEvery=${coverageEvery}`]);
    const result = await train(config, {
      dataset: mnist,
      classifier: stubClassifier(() => 0),
    });
    return parseMetricsCsv(await Deno.readTextFile(result.paths.metricsCsv))
      .map((r) => METRIC_COLUMNS.map((c) => r[c]));
  };
  const plain = await run(0);
  const checked = await run(1);
  assert.strictEqual(plain.length, 5);
  assert.deepStrictEqual(checked, plain);
});

Deno.test("train() calls a one-class generator collapsed", async () => {
  const events: TrainEvent[] = [];
  await train(tinyConfig(tempOut(), ["steps=2"]), {
    dataset: mnist,
    classifier: stubClassifier(() => 3),
    onEvent: (e) => events.push(e),
  });
  const checks = events.filter((e) => e.type === "coverage");
  assert.strictEqual(checks.length, 1);
  const c = checks[0];
  const histogram = new Array<number>(10).fill(0);
  histogram[3] = COVERAGE_SAMPLES;
  assert.deepStrictEqual(c.histogram, histogram);
  assert.strictEqual(c.classesCovered, 1);
  const jsd = jsdFromReal(histogram);
  assert.ok(Math.abs(c.jsd - jsd) < 1e-12, `JSD off by ${c.jsd - jsd}`);
  assert.strictEqual(c.collapsed, true);
});

Deno.test("isCollapsed() follows COLLAPSE_THRESHOLDS at their edges", () => {
  const { maxJsd } = COLLAPSE_THRESHOLDS;
  assert.strictEqual(isCollapsed(8, { classes: 10, jsd: maxJsd }), false);
  assert.strictEqual(isCollapsed(7, { classes: 10, jsd: 0 }), true);
  assert.strictEqual(
    isCollapsed(10, { classes: 10, jsd: maxJsd + 1e-9 }),
    true,
  );
  assert.strictEqual(isCollapsed(4, { classes: 5, jsd: 0 }), false);
  assert.strictEqual(isCollapsed(3, { classes: 5, jsd: 0 }), true);

  // The scale the thresholds are documented with: samples spread evenly
  // over n of 10 equally frequent classes.
  const even = (n: number) =>
    jsDivergence(
      normalize(Array.from({ length: 10 }, (_, i) => (i < n ? 1 : 0))),
      normalize(new Array(10).fill(1)),
    );
  const scale = [even(8), even(5), even(1)];
  const want = [0.075, 0.22, 0.53];
  scale.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]) < 0.005, `JSD ${v}, documented ${want[i]}`)
  );
  assert.ok(even(8) < maxJsd && even(5) > maxJsd);
});

Deno.test("train() maps tanh samples to [0, 1] before classifying", async () => {
  const clf = stubClassifier((i) => i % 10);
  await train(
    tinyConfig(tempOut(), [
      "steps=2",
      "data.range=symmetric",
      "model.generatorOutput=tanh",
    ]),
    { dataset: mnist, classifier: clf },
  );
  const images = clf.seen[0];
  let min = Infinity;
  let max = -Infinity;
  for (const v of images) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(min >= 0 && max <= 1, `classified pixels span [${min}, ${max}]`);
  assert.ok(min < 0.5, `no pixel below 0.5 (min ${min}): tanh's lower half`);
});

Deno.test("train() resumes a coverage run with no gap or duplicate", async () => {
  const out = tempOut();
  const clf = stubClassifier((i) => i % 10);
  const first = await train(
    tinyConfig(out, ["steps=4", "coverageEvery=0", "checkpointEvery=2"]),
    { dataset: mnist },
  );
  assert.strictEqual(
    (await csvCells(first.paths.root))[0].length,
    METRIC_COLUMNS.length,
    "a run without coverage keeps the old columns",
  );

  // An old CSV gains the columns, blank on its rows.
  await train(tinyConfig(out, ["steps=6", "checkpointEvery=2"]), {
    dataset: mnist,
    classifier: clf,
    resume: first.paths.root,
  });
  const check = async (steps: number, filled: number[]) => {
    const cells = await csvCells(first.paths.root);
    assert.strictEqual(cells[0].length, METRIC_COLUMNS.length + 2);
    assert.deepStrictEqual(
      cells.slice(1).map((r) => Number(r[0])),
      Array.from({ length: steps }, (_, i) => i + 1),
      "metrics.csv must hold every step once",
    );
    const got = cells.slice(1).filter((r) => r.at(-2) !== "").map((r) =>
      Number(r[0])
    );
    assert.deepStrictEqual(got, filled);
  };
  await check(6, [6]);

  // A resumed coverage run keeps its figures and goes on measuring.
  await train(tinyConfig(out, ["steps=8", "checkpointEvery=2"]), {
    dataset: mnist,
    classifier: clf,
    resume: first.paths.root,
  });
  await check(8, [6, 8]);

  // Turning coverage off on resume keeps the figures already recorded.
  await train(
    tinyConfig(out, ["steps=10", "coverageEvery=0", "checkpointEvery=2"]),
    { dataset: mnist, resume: first.paths.root },
  );
  await check(10, [6, 8]);
});

Deno.test("parseMetricsCsv() reads blank cells as absent, old CSVs as before", () => {
  const base = {
    step: 1,
    dLossReal: 0.5,
    dLossFake: 0.25,
    gLoss: 2,
    dErrReal: 0,
    dErrFake: 1,
    lr: 0.1,
  };
  const rows = [base, {
    ...base,
    step: 2,
    classesCovered: 7,
    coverageJsd: 0.2,
  }];
  const columns = [...METRIC_COLUMNS, "classesCovered", "coverageJsd"] as const;
  const text = columns.join(",") + "\n" + metricsToCsv(rows, columns);
  assert.ok(text.includes("\n1,0.5,0.25,2,0,1,0.1,,\n"), text);
  assert.deepStrictEqual(parseMetricsCsv(text), rows);
  const old = METRIC_COLUMNS.join(",") + "\n" + metricsToCsv(rows);
  assert.deepStrictEqual(parseMetricsCsv(old), [base, { ...base, step: 2 }]);
});

Deno.test("train() refuses coverage where no classifier can judge, in one line", async () => {
  const out = tempOut();
  const cases: [TrainConfig, Dataset, string][] = [
    [
      applyOverrides(getPreset("paper-cifar10"), [
        "coverageEvery=10",
        `out=${out}`,
      ]),
      syntheticDataset("cifar10", { height: 32, width: 32, channels: 3 }),
      "cifar10",
    ],
    [tinyConfig(out, ["data.gcn=true"]), mnist, "data.gcn"],
  ];
  for (const [config, dataset, named] of cases) {
    await assert.rejects(
      () => train(config, { dataset }),
      (err: Error) =>
        err instanceof UserError && err.message.includes(named) &&
        !err.message.includes("\n"),
    );
  }
  assert.deepStrictEqual([...Deno.readDirSync(out)], [], "wrote a run folder");
});

Deno.test("train() trains the coverage classifier on first use, then loads it", async () => {
  const out = tempOut();
  // 256 images, so that the classifier's 12 epochs are 24 steps.
  const small = syntheticDataset("mnist", undefined, 256);
  const config = tinyConfig(out, ["steps=2", "data.range=symmetric"]);
  const run = async () => {
    const events: TrainEvent[] = [];
    await train(config, { dataset: small, onEvent: (e) => events.push(e) });
    const start = events.find((e) => e.type === "start");
    return {
      progress: events.filter((e) => e.type === "classifier-progress"),
      source: start?.type === "start" && start.coverage?.classifier.source,
      checks: events.filter((e) => e.type === "coverage").length,
    };
  };
  const first = await run();
  assert.strictEqual(first.source, "trained");
  assert.ok(first.progress.length > 0, "no classifier progress reported");
  const last = first.progress.at(-1)!;
  assert.ok(last.type === "classifier-progress");
  assert.strictEqual(last.folder, join(out, "_classifiers", "mnist"));
  assert.strictEqual(last.progress.epoch, last.progress.epochs);
  assert.strictEqual(first.checks, 1);
  await Deno.stat(join(out, "_classifiers", "mnist", "classifier.json"));

  const second = await run();
  assert.strictEqual(second.source, "loaded");
  assert.strictEqual(second.progress.length, 0);
  assert.strictEqual(second.checks, 1);
});
