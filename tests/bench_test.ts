import assert from "node:assert/strict";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import { applyOverrides } from "../src/train/config.ts";
import { getPreset } from "../src/train/presets.ts";
import { GanSession } from "../src/train/session.ts";
import { stepFlops } from "../src/train/train.ts";
import { benchmarkSteps } from "../src/bench/measure.ts";
import { benchmarkTorch } from "../src/bench/torch_peer.ts";
import type { KernelTime } from "../src/bench/profile.ts";
import { syntheticSplit } from "./_synthetic.ts";

/** Run `deno task bench` with `args`; its stdout lines and exit status. */
async function bench(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/bench.ts", ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr).trim(),
    lines: new TextDecoder().decode(out.stdout).trim().split("\n"),
  };
}

Deno.test("bench --json prints one object per backend with the required fields", async () => {
  const { code, stderr, lines } = await bench(
    ["--json", "--backend", "wasm", "--steps", "2"],
  );
  assert.equal(code, 0, stderr);
  assert.equal(lines.length, 1, lines.join("\n"));
  const row = JSON.parse(lines[0]);
  assert.equal(row.backend, "wasm");
  assert.equal(row.model, "paper-mnist");
  assert.equal(row.updates, "simultaneous");
  assert.ok(row.ms_per_step > 0, `ms_per_step = ${row.ms_per_step}`);
  // The FLOP count of the paper's step, from its layer shapes: 3.57 GFLOP
  // alternating, less the 0.50 of the G forward pass a simultaneous step
  // shares between the players.
  assert.ok(
    Math.abs(row.gflop_per_step - 3.07) < 0.01,
    `gflop_per_step = ${row.gflop_per_step}`,
  );
  assert.equal(row.tensors_after, row.tensors_before, "a step leaked tensors");
});

Deno.test("bench rejects an unknown model in one line", async () => {
  const { code, stderr } = await bench(["--model", "nope"]);
  assert.notEqual(code, 0);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /unknown preset "nope"/);
});

/** 2·m·k·n of a product, from its operands' and output's sizes. */
function productFlops(kernel: {
  inputShapes: number[][];
  outputShapes: number[][];
}): number {
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const [a, b] = kernel.inputShapes.map(size);
  const c = size(kernel.outputShapes[0]);
  // |A|·|B| / |C| = (m·k)(k·n) / (m·n) = k².
  return 2 * c * Math.sqrt((a * b) / c);
}

for (
  const [preset, updates] of [
    ["paper-mnist", "alternating"],
    ["paper-mnist", "simultaneous"],
    ["mode-collapse", "alternating"],
  ]
) {
  Deno.test(`stepFlops() equals the products a ${preset} step runs (${updates})`, async () => {
    await selectBackend("wasm");
    const config = applyOverrides(getPreset(preset), [
      "batchSize=6",
      "discriminatorSteps=2",
      `updates=${updates}`,
    ]);
    const session = new GanSession(
      config,
      syntheticSplit(12, { height: 28, width: 28, channels: 1 }),
    );
    const profile = await tf.profile(async () => {
      session.trainStep();
      await session.flush();
    });
    const ran = profile.kernels
      .filter((k) => k.name === "BatchMatMul")
      .reduce((sum, k) => sum + productFlops(k), 0);
    const counted = stepFlops(session);
    session.dispose();
    assert.ok(
      Math.abs(ran - counted) <= 1e-9 * counted,
      `products ran ${ran} FLOPs, stepFlops() counts ${counted}`,
    );
  });
}

Deno.test("benchmarkSteps() stops a slow backend after 3 steps", async () => {
  const config = applyOverrides(getPreset("paper-mnist"), [
    "model.generatorHidden=[16,16]",
    "model.discriminatorMaxout=[[8,3],[8,3]]",
    "batchSize=4",
  ]);
  const fast = await benchmarkSteps(config, "wasm", { steps: 6, warmup: 1 });
  assert.equal(fast.steps, 6);
  const slow = await benchmarkSteps(config, "wasm", {
    steps: 6,
    warmup: 1,
    budgetMs: 0,
  });
  assert.equal(slow.steps, 3);
});

Deno.test("bench --profile --json lists a step's kernels", async () => {
  const { code, stderr, lines } = await bench(
    ["--json", "--profile", "--backend", "wasm", "--steps", "2"],
  );
  assert.equal(code, 0, stderr);
  assert.equal(lines.length, 2, lines.join("\n"));
  const row = JSON.parse(lines[1]);
  assert.equal(row.backend, "wasm");
  assert.ok(row.ms_per_step > 0, `ms_per_step = ${row.ms_per_step}`);
  const kernels = row.profile as KernelTime[];
  // G and D have 3 weight layers each, and paper-mnist updates both at
  // once. G's pass: G and D forward (6), D's input gradients (3), G's
  // weight gradients (3) and input gradients past its first layer (2).
  // D's pass, over the real rows and then G's fakes: forward (3 + 3),
  // weight gradients (3 + 3) and input gradients past the first layer
  // (2 + 2). 30 products, each timed.
  const products = kernels.filter((k) => k.kernel === "BatchMatMul");
  const calls = products.reduce((sum, k) => sum + k.calls, 0);
  assert.equal(calls, 30, JSON.stringify(products.map((k) => k.shapes)));
  assert.ok(products.every((k) => k.ms > 0), "an untimed product");
  const total = kernels.reduce((sum, k) => sum + k.ms, 0);
  assert.ok(
    total <= row.ms_per_step,
    `kernels ${total} > step ${row.ms_per_step}`,
  );
});

// Debian's python3-torch installs into /usr/bin/python3; CI does not.
const torchPython = await (async () => {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.code === 0) return python;
    } catch {
      // not installed
    }
  }
  return undefined;
})();

Deno.test("the PyTorch peer runs both update orders", {
  ignore: !torchPython,
}, async () => {
  for (const updates of ["alternating", "simultaneous"] as const) {
    const t = await benchmarkTorch({
      python: torchPython,
      threads: 1,
      steps: 1,
      warmup: 1,
      updates,
    });
    assert.ok(!("unavailable" in t), JSON.stringify(t));
    assert.equal(t.updates, updates);
    assert.ok(t.ms_per_step > 0, `ms_per_step = ${t.ms_per_step}`);
  }
});
