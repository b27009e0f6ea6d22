import assert from "node:assert";
import { modeCoverage } from "../src/eval/modes.ts";
import { frechetDistance } from "../src/eval/frechet.ts";
import { Rng } from "../src/util/rng.ts";

/** Probability rows whose argmax is `classes[i]`, with top probability p. */
function probsFor(classes: number[], k: number, p: number): Float32Array {
  const out = new Float32Array(classes.length * k).fill((1 - p) / (k - 1));
  classes.forEach((c, i) => out[i * k + c] = p);
  return out;
}

Deno.test("modeCoverage() reports a uniform generator as fully covering", () => {
  const classes = Array.from({ length: 1000 }, (_, i) => i % 10);
  const r = modeCoverage(probsFor(classes, 10, 0.9), new Array(10).fill(6000));
  assert.strictEqual(r.count, 1000);
  assert.deepStrictEqual(r.histogram, new Array(10).fill(100));
  assert.strictEqual(r.classesCovered, 10);
  assert.ok(Math.abs(r.kl) < 1e-12 && Math.abs(r.jsd) < 1e-12, `${r.kl}`);
  assert.ok(Math.abs(r.meanConfidence - 0.9) < 1e-6, `${r.meanConfidence}`);
  assert.strictEqual(r.frechetDistance, undefined);
});

Deno.test("modeCoverage() sees a collapsed generator", () => {
  // 3 classes only, and one sample of class 9 (0.2 % < 1 % threshold).
  const classes = [
    ...new Array(300).fill(1),
    ...new Array(100).fill(4),
    ...new Array(99).fill(7),
    9,
  ];
  const realCounts = new Array(10).fill(1);
  const r = modeCoverage(probsFor(classes, 10, 0.6), realCounts);
  assert.deepStrictEqual(r.coveredClasses, [1, 4, 7]);
  assert.strictEqual(r.classesCovered, 3);
  assert.strictEqual(r.reverseKl, Infinity);
  // KL(gen ‖ uniform) = log 10 − H(gen).
  const gen = [300, 100, 99, 1].map((c) => c / 500);
  const entropy = -gen.reduce((s, p) => s + p * Math.log(p), 0);
  const want = Math.log(10) - entropy;
  assert.ok(Math.abs(r.kl - want) < 1e-12, `KL ${r.kl}, want ${want}`);
  assert.ok(r.jsd > 0.2 && r.jsd <= Math.LN2, `JSD ${r.jsd}`);
  assert.ok(Math.abs(r.meanConfidence - 0.6) < 1e-6);
  const lax = modeCoverage(probsFor(classes, 10, 0.6), realCounts, {
    coverageThreshold: 0.001,
  });
  assert.strictEqual(lax.classesCovered, 4);
});

Deno.test("modeCoverage() adds the Fréchet distance of given features", () => {
  const rng = new Rng(5);
  const dim = 4;
  const real = rng.normal(300 * dim);
  const generated = rng.normal(200 * dim).map((v) => v + 1);
  const r = modeCoverage(probsFor([0, 1], 2, 0.7), [1, 1], {
    features: { real, generated, dim },
  });
  const want = frechetDistance(real, generated, { dim });
  assert.strictEqual(r.frechetDistance, want);
  // Shifted by 1 in each of 4 dims: about 4.
  assert.ok(Math.abs(want - 4) < 1, `FD ${want}, expected about 4`);
});

Deno.test("modeCoverage() refuses probabilities that do not fit the classes", () => {
  assert.throws(
    () => modeCoverage(new Float32Array(7), [1, 1, 1]),
    RangeError,
  );
});
