/**
 * A generator loaded from a run folder makes the images its checkpoint's
 * weights define: checked against a forward pass written out by hand, and
 * against the sample grids the training loop saved.
 */
import assert from "node:assert";
import { join } from "node:path";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import { UserError } from "../src/cli/errors.ts";
import { imageGrid } from "../src/io/grid.ts";
import { readNpy } from "../src/io/npy.ts";
import { readPng } from "../src/io/png.ts";
import { checkpointName, readCheckpoint } from "../src/train/checkpoint.ts";
import { applyOverrides } from "../src/train/config.ts";
import { getPreset } from "../src/train/presets.ts";
import { loadGenerator, readRunConfig } from "../src/train/sampling.ts";
import { sampleNoise } from "../src/train/session.ts";
import { GRID_SAMPLES, train } from "../src/train/train.ts";
import { syntheticDataset } from "./_synthetic.ts";

const MNIST_SHAPE = { height: 28, width: 28, channels: 1 };
const hasNumpy = await new Deno.Command("python3", {
  args: ["-c", "import numpy"],
  stdout: "null",
  stderr: "null",
}).output().then((r) => r.success, () => false);

const out = Deno.makeTempDirSync({ prefix: "webgan_sample_" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(out, { recursive: true });
});
const config = applyOverrides(getPreset("paper-mnist"), [
  "model.noiseDim=8",
  "model.generatorHidden=[16,16]",
  "model.discriminatorMaxout=[[8,2],[8,2]]",
  "batchSize=4",
  "steps=20",
  "checkpointEvery=10",
  "backend=wasm",
  "seed=3",
  `out=${out}`,
]);
const run =
  (await train(config, { dataset: syntheticDataset("mnist", MNIST_SHAPE, 32) }))
    .paths.root;
await selectBackend("wasm");

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

/** G's forward pass in float64, from the checkpoint's raw tensors. */
async function referenceSamples(step: number, z: Float32Array) {
  const { tensors } = await readCheckpoint(run, step);
  const widths = [8, 16, 16, 784];
  let h = Float64Array.from(z);
  const rows = z.length / 8;
  for (let layer = 0; layer < 3; layer++) {
    const [n, m] = [widths[layer], widths[layer + 1]];
    const w = tensors.get(`generator.${2 * layer}`)!;
    const b = tensors.get(`generator.${2 * layer + 1}`)!;
    const next = new Float64Array(rows * m);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        let s = b[j];
        for (let i = 0; i < n; i++) s += h[r * n + i] * w[i * m + j];
        next[r * m + j] = layer < 2 ? Math.max(0, s) : 1 / (1 + Math.exp(-s));
      }
    }
    h = next;
  }
  return h;
}

async function noiseValues(count: number, seed: number) {
  const z = sampleNoise(config.noise, [count, 8], seed);
  const values = await z.data() as Float32Array;
  z.dispose();
  return values;
}

Deno.test("loadGenerator() samples what the checkpoint's weights give", async () => {
  const g = await loadGenerator(run);
  assert.strictEqual(g.step, 20);
  assert.strictEqual(g.pixels, 784);
  const samples = await g.sampleArray(5, { seed: 42 });
  const want = await referenceSamples(20, await noiseValues(5, 42));
  const diff = maxAbsDiff(samples, want);
  assert.ok(diff < 1e-5, `samples differ from the reference by ${diff}`);

  const again = await g.sampleArray(5, { seed: 42 });
  assert.strictEqual(maxAbsDiff(again, samples), 0, "same seed, same samples");
  const other = await g.sampleArray(5, { seed: 43 });
  assert.ok(maxAbsDiff(other, samples) > 1e-4, "another seed differs");
  g.dispose();
});

Deno.test("loadGenerator() at a step reproduces that step's saved grid", async () => {
  const cases: [number | "final", string][] = [
    [10, "cp_10.png"],
    ["final", "final.png"],
  ];
  for (const [which, png] of cases) {
    const g = await loadGenerator(run, { checkpoint: which });
    const z = sampleNoise(config.noise, [GRID_SAMPLES, 8], config.seed + 7919);
    const images = g.generate(z);
    const grid = imageGrid(await images.data() as Float32Array, {
      count: GRID_SAMPLES,
      height: 28,
      width: 28,
      channels: 1,
      cols: 16,
    });
    tf.dispose([z, images]);
    const saved = await readPng(join(run, "samples", png));
    // The grids are 8-bit; rounding may differ by one level.
    const diff = maxAbsDiff(grid.data, saved.data);
    assert.ok(diff <= 1, `${png} differs by up to ${diff} levels`);
    g.dispose();
  }
});

Deno.test("LoadedGenerator.interpolate() walks between two samples", async () => {
  const g = await loadGenerator(run);
  const before = tf.memory().numTensors;
  const walks = 3, frames = 5, p = 784;
  const strip = await g.interpolate(walks, { frames, seed: 9 });
  assert.strictEqual(strip.length, walks * frames * p);
  // The ends of walk w are samples w and walks + w of the same seed.
  const ends = await g.sampleArray(2 * walks, { seed: 9 });
  for (let w = 0; w < walks; w++) {
    const first = strip.subarray((w * frames) * p, (w * frames + 1) * p);
    const last = strip.subarray(
      (w * frames + frames - 1) * p,
      (w + 1) * frames * p,
    );
    const a = maxAbsDiff(first, ends.subarray(w * p, (w + 1) * p));
    const b = maxAbsDiff(
      last,
      ends.subarray((walks + w) * p, (walks + w + 1) * p),
    );
    assert.ok(a < 1e-5 && b < 1e-5, `walk ${w} ends differ by ${a}, ${b}`);
  }
  assert.strictEqual(tf.memory().numTensors, before, "no tensor leaked");
  g.dispose();
});

Deno.test("LoadedGenerator.sampleArray() leaks no tensor", async () => {
  const g = await loadGenerator(run);
  const before = tf.memory().numTensors;
  await g.sampleArray(3000, { seed: 1 });
  const t = await g.sample(7);
  assert.deepStrictEqual(t.shape, [7, 784]);
  t.dispose();
  assert.strictEqual(tf.memory().numTensors, before);
  g.dispose();
});

Deno.test("loadGenerator() skips a damaged newest checkpoint and says so", async () => {
  const copy = await Deno.makeTempDir({ prefix: "webgan_sample_" });
  try {
    await new Deno.Command("cp", { args: ["-r", `${run}/.`, copy] }).output();
    const bin = join(copy, "checkpoints", checkpointName(20), "tensors.bin");
    const bytes = await Deno.readFile(bin);
    bytes[100] ^= 0x10;
    await Deno.writeFile(bin, bytes);

    const skipped: number[] = [];
    const g = await loadGenerator(copy, { onSkip: (s) => skipped.push(s) });
    assert.deepStrictEqual(skipped, [20]);
    assert.strictEqual(g.step, 10);
    g.dispose();
    await assert.rejects(
      () => loadGenerator(copy, { checkpoint: 20 }),
      (err: Error) => err instanceof UserError && err.message.includes(bin),
    );
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("loadGenerator() names what is missing", async () => {
  await assert.rejects(
    () => loadGenerator(run, { checkpoint: 15 }),
    (err: Error) =>
      err instanceof UserError && err.message.includes("0, 10, 20"),
  );
  await assert.rejects(
    () => loadGenerator(out),
    (err: Error) =>
      err instanceof UserError && err.message.includes("config.json"),
  );
});

/** Run the sample task with only the permissions it documents. */
async function sampleTask(cwd: string, args: string[]) {
  const task = new URL("../tasks/sample.ts", import.meta.url).pathname;
  const config = new URL("../deno.json", import.meta.url).pathname;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${config}`,
      "--allow-read",
      "--allow-write=.",
      task,
      "--run",
      run,
      "--backend",
      "wasm",
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(result.stdout) +
    new TextDecoder().decode(result.stderr);
  return { code: result.code, text };
}

Deno.test("deno task sample writes npy and png with read and cwd write only", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "webgan_sample_" });
  try {
    const npy = await sampleTask(cwd, ["--count", "12", "--format", "npy"]);
    assert.strictEqual(npy.code, 0, npy.text);
    const array = await readNpy(join(cwd, "samples.npy"));
    assert.deepStrictEqual(array.shape, [12, 784]);
    const g = await loadGenerator(run);
    const want = await g.sampleArray(12, { seed: 0 });
    g.dispose();
    const diff = maxAbsDiff(array.data, want);
    assert.ok(diff < 1e-6, `npy differs from sampleArray() by ${diff}`);
    if (hasNumpy) {
      const py = await new Deno.Command("python3", {
        args: [
          "-c",
          "import numpy, sys; a = numpy.load(sys.argv[1]); " +
          "print(a.dtype, a.shape, float(a.sum()))",
          join(cwd, "samples.npy"),
        ],
        stdout: "piped",
      }).output();
      const [dtype, ...rest] = new TextDecoder().decode(py.stdout).split(" ");
      assert.strictEqual(dtype, "float32");
      assert.match(rest.join(" "), /^\(12, 784\) /);
    }

    const png = await sampleTask(cwd, ["--count", "10", "--seed", "4"]);
    assert.strictEqual(png.code, 0, png.text);
    const grid = await readPng(join(cwd, "samples.png"));
    // 4 columns of 28 px with 1 px gaps, 3 rows.
    assert.deepStrictEqual([grid.width, grid.height], [4 * 29 - 1, 3 * 29 - 1]);

    const walk = await sampleTask(cwd, [
      "--interpolate",
      "--count",
      "2",
      "--frames",
      "6",
    ]);
    assert.strictEqual(walk.code, 0, walk.text);
    const strip = await readPng(join(cwd, "interpolation.png"));
    assert.deepStrictEqual([strip.width, strip.height], [
      6 * 29 - 1,
      2 * 29 - 1,
    ]);

    const denied = await sampleTask(cwd, ["--out", join(out, "x.png")]);
    assert.strictEqual(denied.code, 2, denied.text);
    assert.match(denied.text, /no permission to write .*x\.png/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("readRunConfig() reads a config saved before `updates` existed", async () => {
  const dir = join(out, "before_updates");
  await Deno.mkdir(dir, { recursive: true });
  const { updates: _, ...old } = getPreset("paper-mnist");
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(old));
  // Runs from then trained alternately; the field is filled in as such.
  assert.strictEqual((await readRunConfig(dir)).updates, "alternating");
  const bad = { ...old, updates: "sideways" };
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(bad));
  await assert.rejects(readRunConfig(dir), UserError);
});
