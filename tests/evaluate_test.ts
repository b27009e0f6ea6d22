/**
 * The evaluation of a run folder: a tiny generator trained for 4 steps on
 * real MNIST is scored with Parzen windows and mode coverage, and the
 * figures are checked against the library functions called directly on
 * the same images; `deno task evaluate` refuses bad input in one line.
 */
import assert from "node:assert";
import { join } from "node:path";
import { selectBackend } from "../src/backend/select.ts";
import { tf } from "../src/backend/tf.ts";
import { UserError } from "../src/cli/errors.ts";
import { type Dataset, loadDataset } from "../src/data/dataset.ts";
import { trainClassifier } from "../src/eval/classifier.ts";
import { parzenEvaluate } from "../src/eval/parzen.ts";
import {
  describeMapping,
  type EvalEvent,
  evaluateRun,
  formatReportTable,
  reportToJson,
  toUnitRange,
} from "../src/eval/report.ts";
import { applyOverrides, type TrainConfig } from "../src/train/config.ts";
import { getPreset } from "../src/train/presets.ts";
import { loadGenerator } from "../src/train/sampling.ts";
import { train } from "../src/train/train.ts";
import { main } from "../tasks/evaluate.ts";

const out = Deno.makeTempDirSync({ prefix: "webgan_eval_" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(out, { recursive: true });
});
const mnist: Dataset = await loadDataset("mnist", { dataDir: "data" });
const config = applyOverrides(getPreset("paper-mnist"), [
  "model.generatorHidden=[16,16]",
  "model.discriminatorMaxout=[[8,2],[8,2]]",
  "batchSize=8",
  "steps=4",
  "checkpointEvery=2",
  "backend=wasm",
  `out=${out}`,
  "dataDir=data",
]);
const run = (await train(config, { dataset: mnist })).paths.root;
await selectBackend("wasm");

const SMALL = { samples: 500, validationCount: 200, testCount: 500 };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

function argmaxRows(probs: Float32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < probs.length / k; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) {
      if (probs[i * k + c] > probs[i * k + best]) best = c;
    }
    counts[best]++;
  }
  return counts;
}

Deno.test("evaluateRun() scores Parzen as parzenEvaluate() does, beside real images", async () => {
  const before = tf.memory().numTensors;
  const report = await evaluateRun(run, { ...SMALL, metric: "parzen" });
  assert.strictEqual(tf.memory().numTensors, before, "tensors leaked");
  assert.strictEqual(report.format, "webgan-eval");
  assert.strictEqual(report.checkpoint.step, 4);
  assert.strictEqual(report.modes, undefined);
  const p = report.parzen!;
  assert.deepStrictEqual(
    [p.validationCount, p.testCount, p.generated.samples, p.reference.samples],
    [200, 500, 500, 500],
  );
  assert.strictEqual(p.generated.sigmaScores.length, 10);

  // The same figures from the library, on the images the report names.
  const g = await loadGenerator(run);
  const samples = await g.sampleArray(500, { seed: 0 });
  g.dispose();
  const sets = {
    validation: mnist.validation.images.subarray(0, 200 * 784),
    test: mnist.test.images.subarray(0, 500 * 784),
    dim: 784,
  };
  const gen = await parzenEvaluate(samples, sets);
  const ref = await parzenEvaluate(
    mnist.train.images.subarray(0, 500 * 784),
    sets,
  );
  const dGen = Math.abs(gen.mean - p.generated.mean);
  const dRef = Math.abs(ref.mean - p.reference.mean);
  assert.ok(dGen < 1e-6 && dRef < 1e-6, `means differ by ${dGen}, ${dRef}`);
  assert.strictEqual(p.generated.sigma, gen.sigma);
  assert.ok(
    p.reference.mean > p.generated.mean + 50,
    `real images ${p.reference.mean} nats, untrained G ${p.generated.mean}`,
  );
});

Deno.test("evaluateRun() judges modes like the classifier does, and formats a table", async () => {
  const classifier = await trainClassifier(mnist, {
    epochs: 1,
    trainLimit: 3000,
  });
  const report = await evaluateRun(run, {
    ...SMALL,
    samples: 300,
    classifier,
  });
  const m = report.modes!;
  assert.strictEqual(m.classifier.source, "given");
  assert.strictEqual(m.featureReferenceCount, 300);
  assert.strictEqual(m.generated.count, 300);
  assert.strictEqual(m.reference.count, 500);
  assert.strictEqual(m.generated.histogram.reduce((a, b) => a + b), 300);

  // The reference histogram is the classifier's argmax on the test images.
  const { probs } = await classifier.classify(
    mnist.test.images.subarray(0, 500 * 784),
  );
  assert.deepStrictEqual(m.reference.histogram, argmaxRows(probs, 10));
  const counts = new Array<number>(10).fill(0);
  for (const l of mnist.train.labels) counts[l]++;
  const real = counts.map((c) => c / mnist.train.count);
  const d = maxAbsDiff(m.reference.realDistribution, real);
  assert.ok(d < 1e-12, `real distribution differs by ${d}`);
  assert.strictEqual(m.reference.classesCovered, 10);
  assert.ok(
    m.reference.frechetDistance! < m.generated.frechetDistance!,
    `Fréchet: real ${m.reference.frechetDistance}, ` +
      `G ${m.generated.frechetDistance}`,
  );
  assert.ok(m.reference.jsd < m.generated.jsd + 1e-12);
  classifier.dispose();

  // eval.json survives an infinite reverse KL; the table names both rows.
  const back = JSON.parse(reportToJson(report));
  assert.strictEqual(back.modes.generated.count, 300);
  const rkl = m.generated.reverseKl;
  assert.strictEqual(
    back.modes.generated.reverseKl,
    Number.isFinite(rkl) ? rkl : "Infinity",
  );
  const table = formatReportTable(report);
  for (const label of ["generator (step 4)", "real training images"]) {
    assert.ok(table.includes(label), `table lacks "${label}":\n${table}`);
  }
  assert.ok(table.includes("real test images"), table);
  assert.ok(table.includes("reference rows:"), table);
});

Deno.test("evaluateRun() trains the classifier once, saying so, then loads it", async () => {
  // 1280 training images: 10 classifier steps an epoch, 120 in all.
  const small: Dataset = {
    ...mnist,
    train: {
      ...mnist.train,
      images: mnist.train.images.subarray(0, 1280 * 784),
      labels: mnist.train.labels.subarray(0, 1280),
      count: 1280,
    },
  };
  const modelsDir = await Deno.makeTempDir({ dir: out });
  const options = {
    ...SMALL,
    samples: 100,
    metric: "modes" as const,
    dataset: small,
    modelsDir,
  };
  const events: EvalEvent[] = [];
  const first = await evaluateRun(run, {
    ...options,
    onEvent: (e) => events.push(e),
  });
  assert.strictEqual(first.modes!.classifier.source, "trained");
  const stages = events.filter((e) => e.type === "stage");
  const train = stages.find((e) => e.stage === "classifier-train");
  assert.ok(train, `no classifier-train stage in ${JSON.stringify(stages)}`);
  assert.strictEqual(train.total, 120);
  const done = events.flatMap((e) =>
    e.type === "progress" && e.stage === "classifier-train" ? [e.done] : []
  );
  const firstStep = events.findIndex((e) =>
    e.type === "progress" && e.stage === "classifier-train"
  );
  assert.ok(events.indexOf(train) < firstStep, "announced before training");
  assert.strictEqual(done.at(-1), 120);

  const again = await evaluateRun(run, options);
  assert.strictEqual(again.modes!.classifier.source, "loaded");
  const d = Math.abs(
    again.modes!.generated.frechetDistance! -
      first.modes!.generated.frechetDistance!,
  );
  assert.ok(d < 1e-6, `cached classifier's Fréchet differs by ${d}`);
});

Deno.test("toUnitRange() maps tanh outputs and de-meaned runs to [0, 1]", () => {
  const data = (over: Partial<TrainConfig["data"]>): TrainConfig["data"] => ({
    range: "unit",
    demean: false,
    gcn: false,
    ...over,
  });
  const sym = toUnitRange(new Float32Array([-1, 0, 1, 0.5]), {
    data: data({ range: "symmetric" }),
  });
  assert.deepStrictEqual([...sym], [0, 0.5, 1, 0.75]);
  // Two pixels with training means 0.2 and 0.6 (in [0, 1]).
  const unitMean = new Float32Array([0.2, 0.6]);
  const unit = toUnitRange(new Float32Array([0.1, -0.1, 0, 0]), {
    data: data({ demean: true }),
    unitMean,
  });
  const want = [0.3, 0.5, 0.2, 0.6];
  assert.ok(maxAbsDiff(unit, want) < 1e-6, `got ${[...unit]}`);
  // Symmetric, de-meaned: g = (2u − 1) − (2m − 1), so u = m + g / 2.
  const g = new Float32Array([0.4, -0.2]);
  const both = toUnitRange(g.slice(), {
    data: data({ range: "symmetric", demean: true }),
    unitMean,
  });
  const wantBoth = [0.2 + 0.2, 0.6 - 0.1];
  assert.ok(maxAbsDiff(both, wantBoth) < 1e-6, `got ${[...both]}`);
  assert.throws(
    () => toUnitRange(new Float32Array(1), { data: data({ gcn: true }) }),
    UserError,
  );
  assert.strictEqual(
    describeMapping(data({ range: "symmetric" })),
    "(x + 1) / 2",
  );
});

/** A run folder holding `config` and an empty checkpoint folder. */
async function fakeRun(config: TrainConfig): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: out });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
  await Deno.mkdir(join(dir, "checkpoints", "step_00000004"), {
    recursive: true,
  });
  return dir;
}

Deno.test("evaluateRun() refuses CIFAR-10 modes and contrast-normalised runs", async () => {
  const cifar = await fakeRun({ ...config, dataset: "cifar10" });
  await assert.rejects(
    () => evaluateRun(cifar, { metric: "modes" }),
    (e: Error) =>
      e instanceof UserError && /not offered for cifar10/.test(e.message),
  );
  const gcn = await fakeRun({ ...config, data: { ...config.data, gcn: true } });
  await assert.rejects(
    () => evaluateRun(gcn),
    (e: Error) => e instanceof UserError && /data\.gcn/.test(e.message),
  );
});

async function userError(args: string[]): Promise<string> {
  try {
    await main(args);
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  throw new Error(`main(${args.join(" ")}) did not fail`);
}

Deno.test("deno task evaluate refuses bad input in one line", async () => {
  const empty = await Deno.makeTempDir({ dir: out });
  const noCheckpoints = await Deno.makeTempDir({ dir: out });
  await Deno.copyFile(
    join(run, "config.json"),
    join(noCheckpoints, "config.json"),
  );
  const cases: [string[], RegExp][] = [
    [[], /--run RUN_FOLDER is required/],
    [["--run", join(out, "nope")], /run folder .*nope not found/],
    [["--run", empty], /config\.json not found/],
    [["--run", noCheckpoints], /holds no checkpoint/],
    [["--run", run, "--metric", "fid"], /--metric must be one of .*"fid"/],
    [["--run", run, "--samples", "1.5"], /--samples must be an integer/],
    [["--run", run, "--samples", "many"], /--samples must be an integer/],
    [["--run", run, "--bogus"], /bogus/],
  ];
  for (const [args, pattern] of cases) {
    const message = await userError(args);
    assert.match(message, pattern, `args ${args.join(" ")}`);
    assert.ok(!message.includes("\n"), `not one line: ${message}`);
  }
});

Deno.test("deno task evaluate writes eval.json into the run folder", async () => {
  const code = await main([
    "--run",
    run,
    "--metric",
    "parzen",
    "--samples",
    "200",
    "--validation-count",
    "100",
    "--test-count",
    "300",
    "--backend",
    "wasm",
  ]);
  assert.strictEqual(code, 0);
  const saved = JSON.parse(await Deno.readTextFile(join(run, "eval.json")));
  assert.strictEqual(saved.samples, 200);
  assert.strictEqual(saved.parzen.testCount, 300);
  assert.ok(saved.parzen.reference.mean > saved.parzen.generated.mean);
});

Deno.test("deno task evaluate, with its task permissions, says how to grant a write", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const deno = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const [_, ...line] = (deno.tasks.evaluate as string).split(" ");
  const result = await new Deno.Command(Deno.execPath(), {
    args: [...line, "--run", run, "--metric", "parzen"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(result.stderr);
  assert.strictEqual(result.code, 2, text);
  assert.match(text, /no permission to write .*eval\.json; grant it with/);
});
