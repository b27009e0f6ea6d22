/**
 * Fréchet distance between Gaussians fitted to two sets of feature vectors,
 * the measure behind FID (Heusel et al. 2017, arXiv 1706.08500), here on
 * the penultimate features of webgan's own small classifier:
 *
 *   FD = ‖μ₁ − μ₂‖² + Tr(C₁ + C₂ − 2 (C₁^½ C₂ C₁^½)^½).
 *
 * Both square roots come from symmetric eigendecompositions in float64, so
 * the trace stays real and exact to rounding, without the complex parts a
 * general matrix square root can leave.
 *
 * @module
 */
import { symmetricEigen } from "./symmetric_eigen.ts";

/** A Gaussian fitted to feature vectors. */
export interface GaussianFit {
  /** Dimension d. */
  dim: number;
  /** Mean, length d. */
  mean: Float64Array;
  /** Covariance with the n − 1 divisor, d × d row-major. */
  cov: Float64Array;
  /** Number of vectors fitted. */
  count: number;
}

/** Options for {@linkcode frechetDistance}. */
export interface FrechetOptions {
  /** Dimension of each feature vector. */
  dim: number;
}

/**
 * Fit a Gaussian (mean and unbiased covariance) to feature vectors.
 *
 * @param features n vectors, flat, n × dim.
 * @param dim Dimension of each vector.
 * @returns The mean and covariance, in float64.
 * @throws {RangeError} When the length is not a multiple of `dim`, or there
 *   are fewer than 2 vectors.
 */
export function fitGaussian(
  features: ArrayLike<number>,
  dim: number,
): GaussianFit {
  const n = features.length / dim;
  if (!Number.isInteger(dim) || dim < 1 || !Number.isInteger(n) || n < 2) {
    throw new RangeError(
      `Cannot fit a Gaussian to ${features.length} values of dim ${dim}: ` +
        "expected at least 2 whole vectors",
    );
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) mean[k] += features[i * dim + k];
  }
  for (let k = 0; k < dim; k++) mean[k] /= n;

  // Upper triangle of Σ (x − μ)(x − μ)ᵀ, then mirrored.
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) centred[k] = features[i * dim + k] - mean[k];
    for (let j = 0; j < dim; j++) {
      const cj = centred[j];
      if (cj === 0) continue;
      const row = j * dim;
      for (let k = j; k < dim; k++) cov[row + k] += cj * centred[k];
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      const c = cov[j * dim + k] / (n - 1);
      cov[j * dim + k] = c;
      cov[k * dim + j] = c;
    }
  }
  return { dim, mean, cov, count: n };
}

/**
 * Fréchet distance between two fitted Gaussians.
 *
 * @param a The first fit, e.g. of real samples' features.
 * @param b The second fit, e.g. of generated samples' features.
 * @returns FD ≥ 0 (rounding aside).
 * @throws {RangeError} When the dimensions differ.
 */
export function frechetDistanceOfGaussians(
  a: GaussianFit,
  b: GaussianFit,
): number {
  if (a.dim !== b.dim) {
    throw new RangeError(`Gaussians differ in dimension: ${a.dim}, ${b.dim}`);
  }
  const d = a.dim;
  let meanTerm = 0;
  let traces = 0;
  for (let k = 0; k < d; k++) {
    meanTerm += (a.mean[k] - b.mean[k]) ** 2;
    traces += a.cov[k * d + k] + b.cov[k * d + k];
  }
  const s = psdSqrt(a.cov, d);
  const m = symmetrise(multiply(multiply(s, b.cov, d), s, d), d);
  const { values } = symmetricEigen(m, d);
  let traceSqrt = 0;
  for (const v of values) traceSqrt += Math.sqrt(Math.max(0, v));
  return meanTerm + traces - 2 * traceSqrt;
}

/**
 * Fréchet distance between Gaussians fitted to two feature sets.
 *
 * @example
 * ```ts
 * const real = new Float32Array([0, 0, 1, 1, 2, 0]); // three 2-D vectors
 * const fake = new Float32Array([1, 0, 2, 1, 3, 0]);
 * frechetDistance(real, fake, { dim: 2 }); // ≈ 1: the means differ by 1
 * ```
 *
 * @param a Vectors of the first set, flat, n × dim.
 * @param b Vectors of the second set, flat, m × dim.
 * @returns FD ≥ 0 (rounding aside).
 */
export function frechetDistance(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: FrechetOptions,
): number {
  return frechetDistanceOfGaussians(
    fitGaussian(a, options.dim),
    fitGaussian(b, options.dim),
  );
}

/** The PSD square root V diag(√max(λ, 0)) Vᵀ of a symmetric matrix. */
function psdSqrt(c: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(c, d);
  const roots = values.map((v) => Math.sqrt(Math.max(0, v)));
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        s += vectors[i * d + k] * roots[k] * vectors[j * d + k];
      }
      out[i * d + j] = s;
      out[j * d + i] = s;
    }
  }
  return out;
}

function multiply(x: Float64Array, y: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const xik = x[i * d + k];
      if (xik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += xik * y[k * d + j];
    }
  }
  return out;
}

function symmetrise(x: Float64Array, d: number): Float64Array {
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const m = 0.5 * (x[i * d + j] + x[j * d + i]);
      x[i * d + j] = m;
      x[j * d + i] = m;
    }
  }
  return x;
}
