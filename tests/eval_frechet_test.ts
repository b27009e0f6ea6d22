import assert from "node:assert";
import { symmetricEigen } from "../src/eval/symmetric_eigen.ts";
import {
  fitGaussian,
  frechetDistance,
  frechetDistanceOfGaussians,
  type GaussianFit,
} from "../src/eval/frechet.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(3);

function randomSymmetric(n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = rng.next() * 2 - 1;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** A random orthogonal matrix: the eigenvectors of a random symmetric one. */
function randomRotation(n: number): Float64Array {
  return symmetricEigen(randomSymmetric(n), n).vectors;
}

/** R diag(d) Rᵀ. */
function conjugate(r: Float64Array, d: number[]): Float64Array {
  const n = d.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += r[i * n + k] * d[k] * r[j * n + k];
      out[i * n + j] = s;
    }
  }
  return out;
}

function gaussian(mean: number[], cov: Float64Array): GaussianFit {
  return {
    dim: mean.length,
    mean: Float64Array.from(mean),
    cov,
    count: 0,
  };
}

Deno.test("symmetricEigen() satisfies A v = λ v with orthonormal v", () => {
  for (const n of [1, 2, 7, 40]) {
    const a = randomSymmetric(n);
    const { values, vectors } = symmetricEigen(a, n);
    let residual = 0;
    let orth = 0;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[j * n + k];
        residual = Math.max(
          residual,
          Math.abs(av - values[k] * vectors[i * n + k]),
        );
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) {
          dot += vectors[i * n + k] * vectors[i * n + l];
        }
        orth = Math.max(orth, Math.abs(dot - (k === l ? 1 : 0)));
      }
    }
    assert.ok(residual < 1e-10, `n=${n}: max |Av − λv| = ${residual}`);
    assert.ok(orth < 1e-10, `n=${n}: max |VᵀV − I| = ${orth}`);
  }
});

Deno.test("symmetricEigen() finds known eigenvalues", () => {
  const n = 6;
  const want = [5, 3, 1, 0.5, 0, -2];
  const { values } = symmetricEigen(conjugate(randomRotation(n), want), n);
  const got = [...values].sort((x, y) => y - x);
  const diff = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
  assert.ok(diff < 1e-10, `max eigenvalue error ${diff}`);
});

Deno.test("frechetDistanceOfGaussians() matches closed forms", () => {
  // 1-D: (μ₁ − μ₂)² + (σ₁ − σ₂)².
  const oneD = frechetDistanceOfGaussians(
    gaussian([1], Float64Array.of(4)),
    gaussian([-0.5], Float64Array.of(0.25)),
  );
  assert.ok(Math.abs(oneD - (2.25 + 2.25)) < 1e-12, `1-D FD ${oneD}`);

  // Commuting covariances R D₁ Rᵀ, R D₂ Rᵀ: Σ (√d₁ − √d₂)².
  const n = 8;
  const r = randomRotation(n);
  const d1 = Array.from({ length: n }, () => 0.1 + rng.next() * 3);
  const d2 = Array.from({ length: n }, () => 0.1 + rng.next() * 3);
  const mu = Array.from({ length: n }, () => rng.next());
  const zero = new Array(n).fill(0);
  const commuting = frechetDistanceOfGaussians(
    gaussian(mu, conjugate(r, d1)),
    gaussian(zero, conjugate(r, d2)),
  );
  let want = mu.reduce((s, v) => s + v * v, 0);
  for (let k = 0; k < n; k++) {
    want += (Math.sqrt(d1[k]) - Math.sqrt(d2[k])) ** 2;
  }
  assert.ok(Math.abs(commuting - want) < 1e-9, `${commuting} vs ${want}`);

  // 2-D, not commuting: Tr √M = √(Tr M + 2 √det M) for PSD 2 × 2 M.
  const c1 = Float64Array.of(2, 0.6, 0.6, 1);
  const c2 = Float64Array.of(0.5, -0.2, -0.2, 1.5);
  const m = [
    c1[0] * c2[0] + c1[1] * c2[2],
    c1[0] * c2[1] + c1[1] * c2[3],
    c1[2] * c2[0] + c1[3] * c2[2],
    c1[2] * c2[1] + c1[3] * c2[3],
  ]; // C₁ C₂ has the same eigenvalues as C₁^½ C₂ C₁^½.
  const trM = m[0] + m[3];
  const detM = m[0] * m[3] - m[1] * m[2];
  const want2 = 2 + 1 + 0.5 + 1.5 - 2 * Math.sqrt(trM + 2 * Math.sqrt(detM));
  const got2 = frechetDistanceOfGaussians(
    gaussian([0, 0], c1),
    gaussian([0, 0], c2),
  );
  assert.ok(Math.abs(got2 - want2) < 1e-12, `2-D FD ${got2} vs ${want2}`);
});

Deno.test("frechetDistance() is 0 on equal sets and symmetric", () => {
  const dim = 16;
  const a = rng.normal(500 * dim);
  const b = rng.uniform(400 * dim, -1, 2);
  const self = frechetDistance(a, a, { dim });
  assert.ok(Math.abs(self) < 1e-9, `FD(a, a) = ${self}`);
  const ab = frechetDistance(a, b, { dim });
  const ba = frechetDistance(b, a, { dim });
  assert.ok(ab > 0.1, `FD(a, b) = ${ab}`);
  assert.ok(Math.abs(ab - ba) < 1e-9, `FD(a, b) ${ab} vs FD(b, a) ${ba}`);
});

Deno.test("fitGaussian() uses the n − 1 covariance divisor", () => {
  const fit = fitGaussian([0, 0, 2, 4], 2);
  assert.deepStrictEqual([...fit.mean], [1, 2]);
  assert.deepStrictEqual([...fit.cov], [2, 4, 4, 8]);
  assert.throws(() => fitGaussian([1, 2, 3], 2), RangeError);
});
