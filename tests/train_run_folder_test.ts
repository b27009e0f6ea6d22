import assert from "node:assert/strict";
import { join } from "node:path";
import { readPng } from "../src/io/png.ts";
import { listCheckpoints, readCheckpoint } from "../src/train/checkpoint.ts";
import { applyOverrides } from "../src/train/config.ts";
import { parseMetricsCsv } from "../src/train/metrics_log.ts";
import { getPreset } from "../src/train/presets.ts";
import { NonFiniteLossError } from "../src/train/session.ts";
import { train } from "../src/train/train.ts";
import { syntheticDataset } from "./_synthetic.ts";

const MNIST_SHAPE = { height: 28, width: 28, channels: 1 };

function tinyConfig(out: string, overrides: string[] = []) {
  return applyOverrides(getPreset("paper-mnist"), [
    "model.generatorHidden=[16,16]",
    "model.discriminatorMaxout=[[8,2],[8,2]]",
    "batchSize=4",
    "steps=6",
    "checkpointEvery=3",
    "readEvery=2",
    "backend=wasm",
    `out=${out}`,
    ...overrides,
  ]);
}

Deno.test("train() leaves the documented run folder, every PNG decodable", async () => {
  const out = await Deno.makeTempDir();
  try {
    const now = new Date(2026, 11, 3, 20, 48, 49);
    const result = await train(tinyConfig(out, ["tag=layout"]), {
      dataset: syntheticDataset("mnist", MNIST_SHAPE, 32),
      now,
    });
    assert.equal(
      result.paths.root,
      join(out, "mnist", "12_03_2026", "20_48_49_layout"),
    );
    const config = JSON.parse(
      await Deno.readTextFile(join(result.paths.root, "config.json")),
    );
    assert.equal(config.preset, "paper-mnist");
    assert.equal(config.environment.backend.name, "wasm");

    // A 16×16 grid of 28×28 tiles with 1-pixel gaps.
    const side = 16 * 28 + 15;
    for (const name of ["cp_0.png", "cp_3.png", "cp_6.png", "final.png"]) {
      const png = await readPng(join(result.paths.samples, name));
      assert.deepEqual([png.width, png.height], [side, side], name);
    }
    const plot = await readPng(result.paths.metricsPng);
    assert.deepEqual([plot.width, plot.height], [1400, 500]);

    const rows = parseMetricsCsv(
      await Deno.readTextFile(result.paths.metricsCsv),
    );
    assert.deepEqual(rows.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await listCheckpoints(result.paths.root), [0, 3, 6]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("train() stops with NonFiniteLossError and keeps earlier checkpoints", async () => {
  const out = await Deno.makeTempDir();
  try {
    // A learning rate this large overflows the weights within a few steps.
    const config = tinyConfig(out, [
      "steps=40",
      "checkpointEvery=1",
      "readEvery=1",
      "discriminatorOptimizer.lr=1e30",
      "generatorOptimizer.lr=1e30",
    ]);
    let root = "";
    await assert.rejects(
      train(config, {
        dataset: syntheticDataset("mnist", MNIST_SHAPE, 32),
        onEvent: (e) => {
          if (e.type === "start") root = e.paths.root;
        },
      }),
      (err: unknown) => {
        assert.ok(err instanceof NonFiniteLossError, String(err));
        assert.match(err.message, /became (NaN|Infinity|-Infinity) at step/);
        return true;
      },
    );
    const steps = await listCheckpoints(root);
    assert.ok(steps.includes(0), `checkpoints: ${steps}`);
    // Every checkpoint left behind is whole and holds only finite losses.
    for (const step of steps) {
      const cp = await readCheckpoint(root, step);
      for (const row of parseMetricsCsv(cp.metricsCsv)) {
        assert.ok(Number.isFinite(row.gLoss), `step ${row.step} in cp ${step}`);
      }
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
