import assert from "node:assert";
import {
  histogram,
  jsDivergence,
  jsDivergenceOfDensities,
  jsDivergenceOfSamples,
  klDivergence,
  klDivergenceOfSamples,
  normalize,
} from "../src/eval/divergence.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(11);

function randomDistribution(n: number, zeros = 0): Float64Array {
  const w = rng.uniform(n, 0, 1);
  for (let i = 0; i < zeros; i++) w[rng.int(n)] = 0;
  return normalize(w);
}

function mixture(p: Float64Array, q: Float64Array): Float64Array {
  return p.map((v, i) => 0.5 * (v + q[i]));
}

Deno.test("normalize() scales weights to sum to 1", () => {
  assert.deepStrictEqual(normalize([1, 3]), new Float64Array([0.25, 0.75]));
  assert.throws(() => normalize([0, 0]), RangeError);
  assert.throws(() => normalize([1, -1]), RangeError);
});

Deno.test("klDivergence() matches a hand computation in nats", () => {
  const got = klDivergence([0.5, 0.5], [0.9, 0.1]);
  const want = 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1);
  assert.ok(Math.abs(got - want) < 1e-12, `got ${got}, want ${want}`);
  assert.strictEqual(klDivergence([0.5, 0.5], [1, 0]), Infinity);
  assert.strictEqual(klDivergence([1, 0], [0.5, 0.5]), Math.LN2);
});

Deno.test("klDivergence() is non-negative, zero on P = Q and not symmetric", () => {
  let asymmetric = 0;
  for (let t = 0; t < 200; t++) {
    const p = randomDistribution(6, t % 3);
    const q = randomDistribution(6);
    const pq = klDivergence(p, q);
    const qp = klDivergence(q, p);
    assert.ok(pq >= 0, `KL(P‖Q) = ${pq} < 0 on trial ${t}`);
    assert.strictEqual(klDivergence(p, p), 0);
    if (Math.abs(pq - qp) > 1e-3) asymmetric++;
  }
  // A fixed witness as well as the random count.
  const a = klDivergence([0.5, 0.5], [0.9, 0.1]);
  const b = klDivergence([0.9, 0.1], [0.5, 0.5]);
  assert.ok(Math.abs(a - b) > 0.1, `KL looked symmetric: ${a} vs ${b}`);
  assert.ok(asymmetric > 150, `only ${asymmetric}/200 pairs asymmetric`);
});

Deno.test("jsDivergence() is symmetric, bounded by log 2 and 0 iff P = Q", () => {
  for (let t = 0; t < 200; t++) {
    const p = randomDistribution(5, t % 3);
    const q = randomDistribution(5, t % 2);
    const pq = jsDivergence(p, q);
    const qp = jsDivergence(q, p);
    assert.ok(Math.abs(pq - qp) < 1e-15, `|JSD(P‖Q) − JSD(Q‖P)| = ${pq - qp}`);
    assert.ok(pq > 0 && pq <= Math.LN2, `JSD ${pq} outside (0, log 2]`);
    assert.strictEqual(jsDivergence(p, p), 0);
  }
  const disjoint = jsDivergence([1, 0, 0], [0, 0.5, 0.5]);
  assert.ok(
    Math.abs(disjoint - Math.LN2) < 1e-15,
    `disjoint supports gave ${disjoint}, expected log 2`,
  );
});

Deno.test("jsDivergence() equals ½ KL(P‖M) + ½ KL(Q‖M)", () => {
  let maxDiff = 0;
  for (let t = 0; t < 200; t++) {
    const p = randomDistribution(8, t % 4);
    const q = randomDistribution(8, t % 3);
    const m = mixture(p, q);
    const want = 0.5 * klDivergence(p, m) + 0.5 * klDivergence(q, m);
    maxDiff = Math.max(maxDiff, Math.abs(jsDivergence(p, q) - want));
  }
  assert.ok(maxDiff < 1e-12, `max |JSD − decomposition| = ${maxDiff}`);
});

Deno.test("klDivergence() refuses unnormalised or mismatched inputs", () => {
  assert.throws(() => klDivergence([1, 1], [0.5, 0.5]), RangeError);
  assert.throws(() => jsDivergence([1], [0.5, 0.5]), RangeError);
});

Deno.test("histogram() counts classes and equal-width bins", () => {
  assert.deepStrictEqual(histogram([0, 2, 2], 3), new Float64Array([1, 0, 2]));
  assert.throws(() => histogram([3], 3), RangeError);
  assert.throws(() => histogram([0.5], 3), RangeError);
  const bins = { lo: 0, hi: 1, count: 4 };
  const h = histogram([-0.1, 0, 0.24, 0.25, 0.6, 1, 1.1], bins);
  assert.deepStrictEqual(h, new Float64Array([2, 1, 1, 1]));
});

Deno.test("jsDivergenceOfSamples() approaches the histogram JSD", () => {
  // Two well-separated uniform laws: U[0, 1) and U[0.5, 1.5).
  const a = rng.uniform(20000, 0, 1);
  const b = rng.uniform(20000, 0.5, 1.5);
  const bins = { lo: 0, hi: 1.5, count: 3 };
  const jsd = jsDivergenceOfSamples(a, b, { bins });
  // Exact binned laws: [½, ½, 0] and [0, ½, ½], JSD = ½ log 2.
  const want = 0.5 * Math.LN2;
  assert.ok(Math.abs(jsd - want) < 0.01, `JSD ${jsd}, want ${want}`);
  assert.strictEqual(klDivergenceOfSamples(a, b, { bins }), Infinity);
  const smoothed = klDivergenceOfSamples(a, b, { bins, pseudoCount: 1 });
  assert.ok(Number.isFinite(smoothed) && smoothed > 1, `KL ${smoothed}`);
  assert.ok(jsDivergenceOfSamples(a, a, { bins }) === 0);
});

Deno.test("jsDivergenceOfDensities() integrates two Gaussians", () => {
  // N(0, 1) against itself gives 0; N(0, 1) against N(40, 1) gives log 2.
  const step = 0.01;
  const xs = Array.from({ length: 6001 }, (_, i) => -20 + i * step);
  const gauss = (mu: number) =>
    xs.map((x) => Math.exp(-0.5 * (x - mu) ** 2) / Math.sqrt(2 * Math.PI));
  const same = jsDivergenceOfDensities(gauss(0), gauss(0), step);
  assert.ok(Math.abs(same) < 1e-12, `JSD of equal densities ${same}`);
  const far = jsDivergenceOfDensities(gauss(-10), gauss(10), step);
  assert.ok(Math.abs(far - Math.LN2) < 1e-6, `far JSD ${far}`);
  // And agrees with a fine histogram of the same two laws.
  const near = jsDivergenceOfDensities(gauss(0), gauss(1), step);
  const binMass = (mu: number) => {
    const d = gauss(mu);
    const out: number[] = [];
    for (let i = 0; i + 10 <= d.length - 1; i += 10) {
      let s = 0;
      for (let k = 0; k < 10; k++) s += 0.5 * (d[i + k] + d[i + k + 1]) * step;
      out.push(s);
    }
    return normalize(out);
  };
  const discrete = jsDivergence(binMass(0), binMass(1));
  assert.ok(Math.abs(near - discrete) < 1e-3, `${near} vs ${discrete}`);
});
