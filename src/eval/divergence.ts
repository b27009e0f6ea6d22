/**
 * Kullback-Leibler and Jensen-Shannon divergences, in nats, for discrete
 * distributions, for samples through histograms, and for densities known on
 * an even grid.
 *
 * Goodfellow et al. 2014 (arXiv 1406.2661), section 4.1, shows that the
 * minimax game's value at the optimal discriminator is
 * C(G) = −log 4 + 2·JSD(p_data ‖ p_g), where
 * JSD(P ‖ Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M) with M = ½ (P + Q).
 * KL is non-negative and not symmetric; JSD is symmetric, is 0 only when
 * P = Q, and is at most log 2.
 *
 * @module
 */

/** How {@linkcode histogram} bins real-valued samples. */
export interface BinRange {
  /** Lower edge of the first bin (inclusive). */
  lo: number;
  /** Upper edge of the last bin (inclusive). */
  hi: number;
  /** Number of equal-width bins. */
  count: number;
}

/**
 * Bins for {@linkcode histogram}: equal-width bins over a range, or a number
 * of classes when the samples are integer class indices.
 */
export type BinSpec = BinRange | number;

/**
 * Scale non-negative weights so that they sum to 1.
 *
 * @example
 * ```ts
 * normalize([1, 3]); // Float64Array [0.25, 0.75]
 * ```
 *
 * @param counts Non-negative weights, such as histogram counts.
 * @returns A new probability vector.
 * @throws {RangeError} When a weight is negative or not finite, or all are 0.
 */
export function normalize(counts: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (!(c >= 0) || !Number.isFinite(c)) {
      throw new RangeError(
        `Cannot normalize: weight ${i} is ${c}, expected finite and >= 0`,
      );
    }
    sum += c;
  }
  if (sum <= 0) {
    throw new RangeError(
      `Cannot normalize ${counts.length} weights that sum to ${sum}`,
    );
  }
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i] / sum;
  return out;
}

/**
 * KL(P ‖ Q) = Σ p log(p / q) in nats, with 0 · log(0 / q) = 0.
 *
 * @example
 * ```ts
 * klDivergence([0.5, 0.5], [0.9, 0.1]); // ≈ 0.511
 * ```
 *
 * @param p A probability vector (sums to 1 within 1e-6).
 * @param q A probability vector of the same length.
 * @returns The divergence, `Infinity` when some p > 0 meets q = 0.
 * @throws {RangeError} When the lengths differ or either is not a
 *   distribution.
 */
export function klDivergence(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
): number {
  checkPair(p, q);
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    if (q[i] === 0) return Infinity;
    kl += p[i] * Math.log(p[i] / q[i]);
  }
  // Rounding can leave a tiny negative sum when P = Q.
  return Math.max(0, kl);
}

/**
 * JSD(P ‖ Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M) with M = ½ (P + Q), in nats.
 *
 * @example
 * ```ts
 * jsDivergence([1, 0], [0, 1]); // = Math.LN2
 * ```
 *
 * @param p A probability vector (sums to 1 within 1e-6).
 * @param q A probability vector of the same length.
 * @returns A value in [0, log 2].
 * @throws {RangeError} When the lengths differ or either is not a
 *   distribution.
 */
export function jsDivergence(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
): number {
  checkPair(p, q);
  let jsd = 0;
  for (let i = 0; i < p.length; i++) jsd += jsdTerm(p[i], q[i]);
  return Math.min(Math.LN2, Math.max(0, jsd));
}

/**
 * Count samples into bins.
 *
 * With a number `n` of classes, each sample must be an integer in [0, n).
 * With a {@linkcode BinRange}, samples outside [lo, hi] are dropped (not
 * clamped, which would pile mass into the end bins), and `hi` itself falls
 * in the last bin.
 *
 * @example
 * ```ts
 * histogram([0, 2, 2], 3); // Float64Array [1, 0, 2]
 * histogram([0.1, 0.6, 0.9], { lo: 0, hi: 1, count: 2 }); // [1, 2]
 * ```
 *
 * @param samples The values to count.
 * @param bins Classes or equal-width bins.
 * @returns Counts per bin.
 * @throws {RangeError} On a class index out of range, or a bad bin spec.
 */
export function histogram(
  samples: ArrayLike<number>,
  bins: BinSpec,
): Float64Array {
  if (typeof bins === "number") return classCounts(samples, bins);
  const { lo, hi, count } = bins;
  if (!(hi > lo) || !Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `Bad bins {lo: ${lo}, hi: ${hi}, count: ${count}}: ` +
        "expected hi > lo and a positive integer count",
    );
  }
  const out = new Float64Array(count);
  const scale = count / (hi - lo);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    if (!(v >= lo && v <= hi)) continue;
    out[Math.min(count - 1, Math.floor((v - lo) * scale))]++;
  }
  return out;
}

/** Options for the sample-based divergences. */
export interface SampleDivergenceOptions {
  /** How to bin both sample sets. */
  bins: BinSpec;
  /**
   * Added to every bin of both histograms before normalising, so that an
   * empty bin does not make KL infinite. @default {0}
   */
  pseudoCount?: number;
}

/**
 * KL(P ‖ Q) between the histograms of two sample sets, in nats.
 *
 * @param a Samples from P.
 * @param b Samples from Q.
 * @returns The divergence of the binned distributions.
 */
export function klDivergenceOfSamples(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: SampleDivergenceOptions,
): number {
  const [p, q] = binnedPair(a, b, options);
  return klDivergence(p, q);
}

/**
 * JSD(P ‖ Q) between the histograms of two sample sets, in nats.
 *
 * @param a Samples from P.
 * @param b Samples from Q.
 * @returns The divergence of the binned distributions.
 */
export function jsDivergenceOfSamples(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: SampleDivergenceOptions,
): number {
  const [p, q] = binnedPair(a, b, options);
  return jsDivergence(p, q);
}

/**
 * JSD(P ‖ Q) of two 1-D densities known on the same even grid, in nats, by
 * the trapezoid rule. The grid should cover nearly all of both masses; the
 * densities are not renormalised.
 *
 * @param p Density of P at each grid point.
 * @param q Density of Q at the same points.
 * @param step The grid spacing.
 * @returns ∫ ½ p log(p / m) + ½ q log(q / m) dx with m = ½ (p + q).
 */
export function jsDivergenceOfDensities(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  step: number,
): number {
  if (p.length !== q.length || p.length < 2 || !(step > 0)) {
    throw new RangeError(
      `Cannot integrate densities of lengths ${p.length} and ${q.length} ` +
        `with step ${step}: expected equal lengths >= 2 and step > 0`,
    );
  }
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const f = jsdTerm(p[i], q[i]);
    sum += i === 0 || i === p.length - 1 ? 0.5 * f : f;
  }
  return sum * step;
}

/**
 * ½ p log(p / m) + ½ q log(q / m) with m = ½ (p + q), written as
 * log(2p / (p + q)) so that a subnormal p cannot make m round to 0.
 */
function jsdTerm(p: number, q: number): number {
  let f = 0;
  if (p > 0) f += 0.5 * p * Math.log((2 * p) / (p + q));
  if (q > 0) f += 0.5 * q * Math.log((2 * q) / (p + q));
  return f;
}

function classCounts(samples: ArrayLike<number>, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Bad class count ${n}: expected a positive integer`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < samples.length; i++) {
    const c = samples[i];
    if (!Number.isInteger(c) || c < 0 || c >= n) {
      throw new RangeError(
        `Sample ${i} is ${c}, expected an integer class in [0, ${n})`,
      );
    }
    out[c]++;
  }
  return out;
}

function binnedPair(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: SampleDivergenceOptions,
): [Float64Array, Float64Array] {
  const { bins, pseudoCount = 0 } = options;
  const ha = histogram(a, bins);
  const hb = histogram(b, bins);
  for (let i = 0; i < ha.length; i++) {
    ha[i] += pseudoCount;
    hb[i] += pseudoCount;
  }
  return [normalize(ha), normalize(hb)];
}

function checkPair(p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length !== q.length) {
    throw new RangeError(
      `Distributions differ in length: ${p.length} and ${q.length}`,
    );
  }
  checkDistribution(p, "p");
  checkDistribution(q, "q");
}

function checkDistribution(p: ArrayLike<number>, name: string): void {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0)) {
      throw new RangeError(`${name}[${i}] is ${p[i]}, expected >= 0`);
    }
    sum += p[i];
  }
  if (Math.abs(sum - 1) > 1e-6) {
    throw new RangeError(
      `${name} sums to ${sum}, expected 1: pass it through normalize() first`,
    );
  }
}
