/**
 * Resuming a run continues it exactly: a run stopped at step 100 and
 * resumed to step 200 ends with the same weights, optimizer state and
 * metrics as one that ran 200 steps straight through.
 */
import assert from "node:assert";
import {
  listCheckpoints,
  readLatestCheckpoint,
} from "../src/train/checkpoint.ts";
import { applyOverrides, type TrainConfig } from "../src/train/config.ts";
import { parseMetricsCsv } from "../src/train/metrics_log.ts";
import { getPreset } from "../src/train/presets.ts";
import { train, type TrainEvent } from "../src/train/train.ts";
import { syntheticDataset } from "./_synthetic.ts";

/** A model small enough that 200 steps take a second or two. */
function tinyConfig(out: string, steps: number): TrainConfig {
  return applyOverrides(getPreset("paper-mnist"), [
    "model.noiseDim=8",
    "model.generatorHidden=[16,16]",
    "model.discriminatorMaxout=[[8,2],[8,2]]",
    "batchSize=4",
    `steps=${steps}`,
    "checkpointEvery=40",
    "readEvery=10",
    "backend=wasm",
    "seed=11",
    `out=${out}`,
  ]);
}

const MNIST_SHAPE = { height: 28, width: 28, channels: 1 };
const dataset = syntheticDataset("mnist", MNIST_SHAPE, 48);

/** Largest |a − b|, or Infinity when the lengths differ. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

let straight: Promise<string> | undefined;
const straightOut = Deno.makeTempDirSync({ prefix: "webgan_resume_" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(straightOut, { recursive: true });
});

/** The run folder of an uninterrupted 200-step run, trained once. */
function straightRun(): Promise<string> {
  straight ??= (async () => {
    const result = await train(tinyConfig(straightOut, 200), { dataset });
    assert.strictEqual(result.step, 200);
    return result.paths.root;
  })();
  return straight;
}

/** Assert that two run folders end in the same state and metrics. */
async function assertSameRun(actual: string, expected: string) {
  const a = await readLatestCheckpoint(actual);
  const b = await readLatestCheckpoint(expected);
  assert.deepStrictEqual(a.state, b.state);
  assert.deepStrictEqual([...a.tensors.keys()], [...b.tensors.keys()]);
  for (const [name, values] of b.tensors) {
    const diff = maxAbsDiff(a.tensors.get(name)!, values);
    assert.ok(diff <= 1e-6, `tensor ${name} differs by up to ${diff}`);
  }

  const rows = parseMetricsCsv(
    await Deno.readTextFile(`${actual}/metrics.csv`),
  );
  const want = parseMetricsCsv(
    await Deno.readTextFile(`${expected}/metrics.csv`),
  );
  assert.deepStrictEqual(
    rows.map((r) => r.step),
    Array.from({ length: 200 }, (_, i) => i + 1),
    "metrics.csv must hold steps 1..200 once each",
  );
  const flat = (list: typeof rows) =>
    Float32Array.from(list.flatMap((r) => Object.values(r)));
  const diff = maxAbsDiff(flat(rows), flat(want));
  assert.ok(diff <= 1e-6, `metrics differ by up to ${diff}`);
}

Deno.test("train() stopped by its signal at step 100 resumes exactly", async () => {
  const out = await Deno.makeTempDir({ prefix: "webgan_resume_" });
  const controller = new AbortController();
  const first = await train(tinyConfig(out, 200), {
    dataset,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === "progress" && e.step === 100) controller.abort();
    },
  });
  assert.strictEqual(first.interrupted, true);
  assert.strictEqual(first.step, 100);
  // 100 is off the 40-step schedule: the interrupt's checkpoint is kept as
  // the newest.
  assert.deepStrictEqual(await listCheckpoints(first.paths.root), [
    0,
    40,
    80,
    100,
  ]);

  const events: TrainEvent[] = [];
  const second = await train(tinyConfig(out, 200), {
    dataset,
    resume: first.paths.root,
    onEvent: (e) => events.push(e),
  });
  assert.strictEqual(second.interrupted, false);
  assert.strictEqual(second.step, 200);
  const start = events.find((e) => e.type === "start");
  assert.strictEqual(start?.type === "start" && start.resumedFrom, 100);
  // The interrupt's checkpoint is pruned once a scheduled one follows it.
  assert.deepStrictEqual(await listCheckpoints(first.paths.root), [
    0,
    40,
    80,
    120,
    160,
    200,
  ]);
  await assertSameRun(first.paths.root, await straightRun());
  await Deno.remove(out, { recursive: true });
});

Deno.test("train() of 100 steps resumed to 200 matches 200 straight", async () => {
  const out = await Deno.makeTempDir({ prefix: "webgan_resume_" });
  const first = await train(tinyConfig(out, 100), { dataset });
  assert.strictEqual(first.interrupted, false);
  // Resuming a finished run does nothing, and leaves its newest checkpoint
  // alone rather than deleting it to write the same one again.
  const manifest =
    `${first.paths.root}/checkpoints/step_00000100/manifest.json`;
  const before = await Deno.stat(manifest);
  const again = await train(tinyConfig(out, 100), {
    dataset,
    resume: first.paths.root,
  });
  assert.strictEqual(again.step, 100);
  assert.strictEqual((await Deno.stat(manifest)).ino, before.ino);
  // A stray metrics row past the checkpoint, as a killed run can leave,
  // must not survive the resume.
  await Deno.writeTextFile(
    `${first.paths.root}/metrics.csv`,
    "101,9,9,9,9,9,0.1\n102,9,9",
    { append: true },
  );
  const second = await train(tinyConfig(out, 200), {
    dataset,
    resume: first.paths.root,
  });
  assert.strictEqual(second.step, 200);
  await assertSameRun(first.paths.root, await straightRun());
  await Deno.remove(out, { recursive: true });
});

Deno.test("train() resuming a folder without checkpoints says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "webgan_resume_" });
  await assert.rejects(
    () => train(tinyConfig(dir, 10), { dataset, resume: dir }),
    (err: Error) => err.message.includes("no intact checkpoint"),
  );
  await Deno.remove(dir, { recursive: true });
});
