import assert from "node:assert/strict";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import { applyOverrides } from "../src/train/config.ts";
import { getPreset } from "../src/train/presets.ts";
import { GanSession } from "../src/train/session.ts";
import { syntheticSplit } from "./_synthetic.ts";

/** The paper's model shrunk to test size. */
function tinyConfig(overrides: string[] = []) {
  return applyOverrides(getPreset("paper-mnist"), [
    "model.generatorHidden=[16,16]",
    "model.discriminatorMaxout=[[8,3],[8,3]]",
    "batchSize=4",
    ...overrides,
  ]);
}

const split = syntheticSplit(32, { height: 4, width: 4, channels: 1 });

async function values(vars: tf.Variable[]): Promise<Float32Array[]> {
  return await Promise.all(vars.map((v) => v.data() as Promise<Float32Array>));
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) =>
    x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j]))))
  );
  return m;
}

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`GanSession.updateGenerator() leaves D unchanged (${backend})`, async () => {
    await selectBackend(backend);
    const s = new GanSession(tinyConfig(), split);
    const dBefore = await values(s.models.discriminator.variables);
    const gBefore = await values(s.models.generator.variables);
    s.updateGenerator().dispose();
    const dAfter = await values(s.models.discriminator.variables);
    const gAfter = await values(s.models.generator.variables);
    assert.equal(maxAbsDiff(dBefore, dAfter), 0, "a G step changed D");
    assert.ok(maxAbsDiff(gBefore, gAfter) > 0, "a G step left G unchanged");
    s.dispose();
  });

  Deno.test(`GanSession.updateDiscriminator() leaves G unchanged (${backend})`, async () => {
    await selectBackend(backend);
    const s = new GanSession(tinyConfig(), split);
    const dBefore = await values(s.models.discriminator.variables);
    const gBefore = await values(s.models.generator.variables);
    for (const t of s.updateDiscriminator()) t.dispose();
    const dAfter = await values(s.models.discriminator.variables);
    const gAfter = await values(s.models.generator.variables);
    assert.equal(maxAbsDiff(gBefore, gAfter), 0, "a D step changed G");
    assert.ok(maxAbsDiff(dBefore, dAfter) > 0, "a D step left D unchanged");
    s.dispose();
  });
}

Deno.test("GanSession's joint D pass updates as two passes do", async () => {
  await selectBackend("wasm");
  // Without dropout the masks' order cannot matter: the two ways of
  // computing D's update must give the same weights and losses.
  const config = tinyConfig([
    "model.inputKeep=1",
    "model.hiddenKeep=1",
    "updates=alternating",
  ]);
  const joint = new GanSession(config, split);
  const apart = new GanSession(config, split, {
    jointDiscriminatorPass: false,
  });
  assert.strictEqual(joint.models.discriminator.rowIndependent, true);
  const dStart = await values(joint.models.discriminator.variables);
  for (let i = 0; i < 5; i++) {
    joint.trainStep();
    apart.trainStep();
  }
  const [mj, ma] = [await joint.flush(), await apart.flush()];
  for (const key of ["dLossReal", "dLossFake", "gLoss"] as const) {
    const diff = Math.abs(mj[4][key] - ma[4][key]);
    assert.ok(diff < 1e-5, `${key}: joint and apart differ by ${diff}`);
  }
  const dEnd = await values(joint.models.discriminator.variables);
  // Five steps move D's weights by about 1e-4; rounding alone separates
  // the two ways by orders of magnitude less.
  const moved = maxAbsDiff(dStart, dEnd);
  assert.ok(moved > 1e-5, `D moved only ${moved}`);
  for (const net of ["discriminator", "generator"] as const) {
    const diff = maxAbsDiff(
      await values(joint.models[net].variables),
      await values(apart.models[net].variables),
    );
    assert.ok(diff < 1e-3 * moved, `${net} weights differ by ${diff}`);
  }
  joint.dispose();
  apart.dispose();
});

Deno.test("a simultaneous step takes G's gradient at D's old weights", async () => {
  await selectBackend("wasm");
  // Change only D's learning rate: after one step D differs; G, whose
  // gradient a simultaneous step takes before D moves, must not. Large
  // rates make what D's move does to G's gradient show in G's float32
  // weights (by about 100 ulps here).
  const afterOneStep = async (overrides: string[], dLr: number) => {
    const s = new GanSession(
      tinyConfig([
        ...overrides,
        `discriminatorOptimizer.lr=${dLr}`,
        "generatorOptimizer.lr=10",
      ]),
      split,
      { jointDiscriminatorPass: false },
    );
    s.trainStep();
    await s.flush();
    const out = {
      g: await values(s.models.generator.variables),
      d: await values(s.models.discriminator.variables),
    };
    s.dispose();
    return out;
  };
  const sim = ["updates=simultaneous"];
  const [slow, fast] = [
    await afterOneStep(sim, 0.1),
    await afterOneStep(sim, 10),
  ];
  assert.ok(maxAbsDiff(slow.d, fast.d) > 0, "D's learning rate did nothing");
  assert.strictEqual(maxAbsDiff(slow.g, fast.g), 0);
  // Alternating, G sees the updated D, so D's learning rate reaches G.
  const alt = ["updates=alternating"];
  const [a, b] = [await afterOneStep(alt, 0.1), await afterOneStep(alt, 10)];
  assert.ok(maxAbsDiff(a.g, b.g) > 0, "alternating G ignored D's update");
  // D's own update is the same in both orders where no dropout mask can
  // differ: the same batch, the same z, the same weights.
  const noDropout = ["model.inputKeep=1", "model.hiddenKeep=1"];
  const [dSim, dAlt] = [
    await afterOneStep([...sim, ...noDropout], 0.1),
    await afterOneStep([...alt, ...noDropout], 0.1),
  ];
  assert.strictEqual(maxAbsDiff(dSim.d, dAlt.d), 0);
  assert.ok(maxAbsDiff(dSim.d, slow.d) > 0, "dropout changed nothing");
});

Deno.test("a simultaneous step shows D G's fakes through the same masks", async () => {
  await selectBackend("wasm");
  // With dropout on (the preset's 0.8 and 0.5), D's logits for the fakes
  // in G's pass and in D's own agree only if the masks are replayed.
  const s = new GanSession(tinyConfig(["updates=simultaneous"]), split);
  const D = s.models.discriminator;
  const apply = D.apply.bind(D);
  const logits: Float32Array[] = [];
  D.apply = (x, context) => {
    const out = apply(x, context);
    logits.push(out.dataSync() as Float32Array);
    return out;
  };
  s.trainStep();
  const [m] = await s.flush();
  // G's pass over the fakes, then D's over the real rows and the fakes.
  assert.strictEqual(logits.length, 3);
  assert.deepStrictEqual(logits[2], logits[0]);
  assert.notDeepStrictEqual(logits[1], logits[0]);
  // G's loss is −log D(G(z)) of those logits, D's fake loss −log(1 − D).
  const mean = (f: (l: number) => number) =>
    logits[0].reduce((t, l) => t + f(l), 0) / logits[0].length;
  const gLoss = mean((l) => Math.log1p(Math.exp(-l)));
  const dLossFake = mean((l) => Math.log1p(Math.exp(l)));
  assert.ok(Math.abs(m.gLoss - gLoss) < 1e-5, `${m.gLoss} vs ${gLoss}`);
  assert.ok(
    Math.abs(m.dLossFake - dLossFake) < 1e-5,
    `${m.dLossFake} vs ${dLossFake}`,
  );
  s.dispose();
});

Deno.test("GanSession losses start at log 2 per term", async () => {
  await selectBackend("wasm");
  // With D's weights within ±0.005, D(x) ≈ ½, so each BCE term ≈ log 2.
  const s = new GanSession(tinyConfig(), split);
  s.trainStep();
  const [m] = await s.flush();
  for (const key of ["dLossReal", "dLossFake", "gLoss"] as const) {
    assert.ok(
      Math.abs(m[key] - Math.LN2) < 1e-3,
      `${key} = ${m[key]}, expected log 2 = ${Math.LN2}`,
    );
  }
  s.dispose();
});

Deno.test("GanSession gives identical metrics for the same seed", async () => {
  await selectBackend("wasm");
  const run = async (seed: number) => {
    const s = new GanSession(tinyConfig([`seed=${seed}`]), split);
    for (let i = 0; i < 5; i++) s.trainStep();
    const rows = await s.flush();
    s.dispose();
    return rows;
  };
  const a = await run(3);
  const b = await run(3);
  const c = await run(4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c, "different seeds gave the same metrics");
});

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`GanSession.trainStep() leaks no tensors (${backend})`, async () => {
    await selectBackend(backend);
    for (const updates of ["alternating", "simultaneous"]) {
      const s = new GanSession(tinyConfig([`updates=${updates}`]), split);
      s.trainStep();
      await s.flush();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) s.trainStep();
      await s.flush();
      assert.equal(tf.memory().numTensors, before, `${updates}: count changed`);
      s.dispose();
      assert.equal(tf.memory().numTensors, before - s.tensors().size);
    }
  });
}

Deno.test("GanSession trains a tiny model on webgpu (llvmpipe)", {
  ignore: !(await navigator.gpu?.requestAdapter()),
}, async () => {
  await selectBackend("webgpu");
  const s = new GanSession(tinyConfig(), split);
  s.trainStep();
  await s.flush();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) s.trainStep();
  const rows = await s.flush();
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => Number.isFinite(r.gLoss)));
  assert.equal(tf.memory().numTensors, before, "tensor count changed");
  s.dispose();
});

// On WebGPU a read is a GPU→CPU sync, which the steady-state step must not
// make. (wasm "reads" are heap copies: its slice kernel, under tf.split,
// makes one, so the check is WebGPU's.)
Deno.test("GanSession's step reads nothing back until flush (webgpu)", {
  ignore: !(await navigator.gpu?.requestAdapter()),
}, async () => {
  await selectBackend("webgpu");
  const engine = tf.backend() as unknown as Record<string, unknown>;
  let reads = 0;
  const originals = new Map<string, unknown>();
  for (const name of ["read", "readSync", "readToGPU"]) {
    const f = engine[name];
    if (typeof f !== "function") continue;
    originals.set(name, f);
    engine[name] = (...args: unknown[]) => {
      reads++;
      return (f as (...a: unknown[]) => unknown).apply(engine, args);
    };
  }
  try {
    for (const updates of ["simultaneous", "alternating"]) {
      const s = new GanSession(tinyConfig([`updates=${updates}`]), split);
      s.trainStep();
      await s.flush();
      reads = 0;
      for (let i = 0; i < 3; i++) s.trainStep();
      assert.equal(reads, 0, `${updates}: the step read from the device`);
      const rows = await s.flush();
      // The spy sees the one read that flush makes.
      assert.ok(reads >= 1, `${updates}: flush read nothing?`);
      assert.equal(rows.length, 3);
      s.dispose();
    }
  } finally {
    for (const [name, f] of originals) engine[name] = f;
  }
});
