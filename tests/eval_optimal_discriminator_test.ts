import assert from "node:assert";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import { decodePng } from "../src/io/png.ts";
import {
  generate,
  generatorDensity,
  renderOptimalDiscriminatorPng,
  runOptimalDiscriminatorExperiment,
} from "../src/eval/optimal_discriminator.ts";
import { histogram, normalize } from "../src/eval/divergence.ts";
import { Rng } from "../src/util/rng.ts";

Deno.test("generatorDensity() is the density of generate() on uniform z", () => {
  const g = { location: -0.4, scale: 0.3 };
  const rng = new Rng(1);
  const xs = rng.uniform(200_000, 0, 1).map((z) => generate(z, g));
  const bins = { lo: -2, hi: 1.2, count: 32 };
  const counts = histogram(xs, bins);
  const width = (bins.hi - bins.lo) / bins.count;
  let maxDiff = 0;
  for (let i = 0; i < bins.count; i++) {
    const mid = bins.lo + (i + 0.5) * width;
    const empirical = counts[i] / (xs.length * width);
    maxDiff = Math.max(maxDiff, Math.abs(empirical - generatorDensity(mid, g)));
  }
  assert.ok(maxDiff < 0.02, `max |histogram − density| = ${maxDiff}`);
  // And it integrates to 1.
  const fine = Array.from({ length: 40001 }, (_, i) => -20 + i * 0.001);
  const mass = fine.reduce((s, x) => s + generatorDensity(x, g) * 0.001, 0);
  assert.ok(Math.abs(mass - 1) < 1e-4, `mass ${mass}`);
  assert.ok(normalize(counts).length === 32);
});

Deno.test("runOptimalDiscriminatorExperiment() finds D ≈ D* and V ≈ −log 4 + 2 JSD", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const r = await runOptimalDiscriminatorExperiment({
    steps: 800,
    monteCarloSamples: 100_000,
  });
  assert.strictEqual(tf.memory().numTensors, before, "tensors leaked");

  // Proposition 1: D*(x) = p_data / (p_data + p_g).
  const n = r.compared.filter(Boolean).length;
  assert.ok(n > 50, `only ${n} grid points compared`);
  assert.ok(r.maxAbsError < 0.04, `max |D − D*| = ${r.maxAbsError}`);
  assert.ok(r.meanAbsError < 0.02, `mean |D − D*| = ${r.meanAbsError}`);

  // Theorem 1: C(G) = −log 4 + 2 JSD(p_data ‖ p_g).
  assert.ok(r.jsd > 0.05 && r.jsd < Math.LN2, `JSD ${r.jsd}`);
  assert.strictEqual(r.optimalValue, -Math.log(4) + 2 * r.jsd);
  const mcGap = Math.abs(r.optimalValueMonteCarlo - r.optimalValue);
  assert.ok(mcGap < 0.01, `|V(D*, G) − C(G)| = ${mcGap}`);
  const gap = Math.abs(r.trainedValue - r.optimalValue);
  assert.ok(gap < 0.015, `|V(D, G) − C(G)| = ${gap}`);
});

Deno.test("runOptimalDiscriminatorExperiment() without training is far from D*", async () => {
  await selectBackend("wasm");
  const r = await runOptimalDiscriminatorExperiment({
    steps: 0,
    monteCarloSamples: 10_000,
  });
  assert.ok(r.maxAbsError > 0.1, `untrained D within ${r.maxAbsError} of D*`);
  assert.ok(r.trainedValue < r.optimalValue - 0.05, `${r.trainedValue}`);
});

Deno.test("renderOptimalDiscriminatorPng() draws a PNG of the curves", async () => {
  await selectBackend("wasm");
  const r = await runOptimalDiscriminatorExperiment({
    steps: 50,
    gridPoints: 41,
    monteCarloSamples: 1000,
  });
  const png = await renderOptimalDiscriminatorPng(r);
  const image = decodePng(png);
  assert.ok(image.width > 100 && image.height > 100, `${image.width}`);
});
