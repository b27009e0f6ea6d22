/**
 * Eigendecomposition of a real symmetric matrix by the cyclic Jacobi method,
 * in float64. Meant for the small matrices of evaluation (feature
 * covariances of 64 to 256 dimensions); its cost grows as n³ per sweep.
 *
 * @module
 */

/** Eigenvalues and orthonormal eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  /** The n eigenvalues, in no particular order. */
  values: Float64Array;
  /** n × n, row-major; column k is the eigenvector of `values[k]`. */
  vectors: Float64Array;
}

/** Options for {@linkcode symmetricEigen}. */
export interface SymmetricEigenOptions {
  /** Give up after this many sweeps over all pairs. @default {100} */
  maxSweeps?: number;
}

/**
 * Diagonalise a symmetric matrix: A = V diag(λ) Vᵀ.
 *
 * Only the upper triangle's pairing with the lower one matters; the input
 * should be symmetric and is not modified.
 *
 * @example
 * ```ts
 * const { values } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
 * // values holds 1 and 3
 * ```
 *
 * @param matrix n × n, row-major.
 * @param n The order of the matrix.
 * @returns Eigenvalues and eigenvectors (as columns).
 * @throws {RangeError} When `matrix` does not hold n × n values.
 */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  n: number,
  options: SymmetricEigenOptions = {},
): SymmetricEigen {
  const { maxSweeps = 100 } = options;
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new RangeError(
      `Cannot diagonalise ${matrix.length} values as a ${n} × ${n} matrix`,
    );
  }
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;

  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    if (offDiagonalNorm(a, n) <= 1e-30 + 1e-15 * diagonalNorm(a, n)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) rotate(a, v, n, p, q);
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}

/** Apply the Jacobi rotation that zeroes a[p][q], to a and to v. */
function rotate(
  a: Float64Array,
  v: Float64Array,
  n: number,
  p: number,
  q: number,
): void {
  const apq = a[p * n + q];
  if (apq === 0) return;
  const app = a[p * n + p];
  const aqq = a[q * n + q];
  // t = tan θ, the smaller root of t² + 2θt − 1 = 0 (Numerical Recipes §11.1).
  const theta = (aqq - app) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) /
    (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;

  for (let r = 0; r < n; r++) {
    if (r === p || r === q) continue;
    const arp = a[r * n + p];
    const arq = a[r * n + q];
    const np = c * arp - s * arq;
    const nq = s * arp + c * arq;
    a[r * n + p] = np;
    a[p * n + r] = np;
    a[r * n + q] = nq;
    a[q * n + r] = nq;
  }
  a[p * n + p] = app - t * apq;
  a[q * n + q] = aqq + t * apq;
  a[p * n + q] = 0;
  a[q * n + p] = 0;
  for (let r = 0; r < n; r++) {
    const vrp = v[r * n + p];
    const vrq = v[r * n + q];
    v[r * n + p] = c * vrp - s * vrq;
    v[r * n + q] = s * vrp + c * vrq;
  }
}

function offDiagonalNorm(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) s += a[i * n + j] ** 2;
  }
  return Math.sqrt(s);
}

function diagonalNorm(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i] ** 2;
  return Math.sqrt(s);
}
