/**
 * The gradients that `registerFastGradients()` installs, against plain-JS
 * float64 references: matrix products for every transpose combination,
 * batched and broadcast; `max` with ties and kept axes; a dense, maxout,
 * sigmoid cross-entropy pass against central finite differences. Each runs
 * on wasm (the rewritten path) and cpu (the stock formulas).
 */
import assert from "node:assert/strict";
import { tf } from "../src/backend/tf.ts";
import { registerFastGradients } from "../src/backend/gradients.ts";
import { type BackendName, selectBackend } from "../src/backend/select.ts";
import { Rng } from "../src/util/rng.ts";

registerFastGradients();

const BACKENDS: BackendName[] = ["wasm", "cpu"];

/** Row-major matrices stacked along a leading batch axis. */
interface Stack {
  data: Float64Array;
  batch: number;
  rows: number;
  cols: number;
}

function stack(data: ArrayLike<number>, shape: number[]): Stack {
  const [rows, cols] = shape.slice(-2);
  const batch = shape.length > 2 ? shape[0] : 1;
  return { data: Float64Array.from(data), batch, rows, cols };
}

function transposeRef(s: Stack): Stack {
  const out = new Float64Array(s.data.length);
  const size = s.rows * s.cols;
  for (let b = 0; b < s.batch; b++) {
    for (let i = 0; i < s.rows; i++) {
      for (let j = 0; j < s.cols; j++) {
        out[b * size + j * s.rows + i] = s.data[b * size + i * s.cols + j];
      }
    }
  }
  return { data: out, batch: s.batch, rows: s.cols, cols: s.rows };
}

/** x·y per batch; a batch of 1 broadcasts. */
function matMulRef(x: Stack, y: Stack): Stack {
  const batch = Math.max(x.batch, y.batch);
  const out = new Float64Array(batch * x.rows * y.cols);
  for (let b = 0; b < batch; b++) {
    const xo = (x.batch === 1 ? 0 : b) * x.rows * x.cols;
    const yo = (y.batch === 1 ? 0 : b) * y.rows * y.cols;
    for (let i = 0; i < x.rows; i++) {
      for (let j = 0; j < y.cols; j++) {
        let acc = 0;
        for (let k = 0; k < x.cols; k++) {
          acc += x.data[xo + i * x.cols + k] * y.data[yo + k * y.cols + j];
        }
        out[(b * x.rows + i) * y.cols + j] = acc;
      }
    }
  }
  return { data: out, batch, rows: x.rows, cols: y.cols };
}

/** Sum a stack over its batch axis, for an input that was broadcast. */
function sumBatch(s: Stack): Stack {
  const size = s.rows * s.cols;
  const out = new Float64Array(size);
  for (let i = 0; i < s.data.length; i++) out[i % size] += s.data[i];
  return { data: out, batch: 1, rows: s.rows, cols: s.cols };
}

function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, "lengths differ");
  let max = 0;
  for (let i = 0; i < got.length; i++) {
    max = Math.max(max, Math.abs(got[i] - want[i]));
  }
  return max;
}

/** Shapes of C = op(A)·op(B) with op(A) [m, k] and op(B) [k, n]. */
interface ProductCase {
  m: number;
  k: number;
  n: number;
  batchA: number;
  batchB: number;
}

/** Stored shape of an operand: its own batch, maybe transposed. */
function storedShape(batch: number, rows: number, cols: number, t: boolean) {
  const core = t ? [cols, rows] : [rows, cols];
  return batch > 0 ? [batch, ...core] : core;
}

/**
 * Largest difference between tfjs's gradients of sum(C ⊙ R) and the
 * float64 ones: dop(A) = R·op(B)ᵀ, dop(B) = op(A)ᵀ·R, undone through op.
 */
function productGradError(
  c: ProductCase,
  transposeA: boolean,
  transposeB: boolean,
  rng: Rng,
): number {
  const shapeA = storedShape(c.batchA, c.m, c.k, transposeA);
  const shapeB = storedShape(c.batchB, c.k, c.n, transposeB);
  const batch = Math.max(c.batchA, c.batchB);
  const shapeR = batch > 0 ? [batch, c.m, c.n] : [c.m, c.n];
  const sizeOf = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const av = rng.normal(sizeOf(shapeA));
  const bv = rng.normal(sizeOf(shapeB));
  const rv = rng.normal(sizeOf(shapeR));

  const [ga, gb] = tf.tidy(() => {
    const r = tf.tensor(rv, shapeR);
    const loss = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(a, b, transposeA, transposeB), r));
    const [da, db] = tf.grads(loss)([
      tf.tensor(av, shapeA),
      tf.tensor(bv, shapeB),
    ]);
    return [da.dataSync(), db.dataSync()];
  });

  const a = stack(av, shapeA);
  const b = stack(bv, shapeB);
  const r = stack(rv, shapeR);
  const opA = transposeA ? transposeRef(a) : a;
  const opB = transposeB ? transposeRef(b) : b;
  let dOpA = matMulRef(r, transposeRef(opB));
  let dOpB = matMulRef(transposeRef(opA), r);
  if (a.batch < batch) dOpA = sumBatch(dOpA);
  if (b.batch < batch) dOpB = sumBatch(dOpB);
  const wantA = transposeA ? transposeRef(dOpA) : dOpA;
  const wantB = transposeB ? transposeRef(dOpB) : dOpB;
  return Math.max(
    maxAbsDiff(ga, wantA.data),
    maxAbsDiff(gb, wantB.data),
  );
}

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

// Both arrangements of each explicit product are taken across these shapes.
const PRODUCT_CASES: ProductCase[] = [
  { m: 2, k: 7, n: 3, batchA: 0, batchB: 0 },
  { m: 7, k: 2, n: 5, batchA: 0, batchB: 0 },
  { m: 3, k: 9, n: 1, batchA: 0, batchB: 0 },
  { m: 4, k: 3, n: 5, batchA: 2, batchB: 2 },
  { m: 4, k: 3, n: 5, batchA: 2, batchB: 0 },
  { m: 4, k: 3, n: 5, batchA: 0, batchB: 3 },
];

Deno.test("registerFastGradients() matMul gradients match float64 for all transposes", async () => {
  for (const backend of BACKENDS) {
    await selectBackend(backend);
    const rng = new Rng(7);
    const before = tf.memory().numTensors;
    for (const c of PRODUCT_CASES) {
      for (const [ta, tb] of FLAGS) {
        const err = productGradError(c, ta, tb, rng);
        assert.ok(
          err < 1e-4,
          `${backend} ${JSON.stringify(c)} transposeA=${ta} ` +
            `transposeB=${tb}: max |diff| ${err}`,
        );
      }
    }
    assert.equal(tf.memory().numTensors, before, `${backend} leaked tensors`);
  }
});

Deno.test("registerFastGradients() computes only the matMul gradients asked for", async () => {
  for (const backend of BACKENDS) {
    await selectBackend(backend);
    const a = tf.ones([3, 4]);
    const b = tf.ones([4, 5]);
    const info = await tf.profile(() =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.matMul(x, b)))(a)
    );
    const products = info.kernels.filter((k) => k.name === "BatchMatMul");
    // One forward product and the gradient for `a`; none for `b`.
    assert.equal(products.length, 2, `${backend}: ${products.length} products`);
    tf.dispose([a, b]);
  }
});

Deno.test("registerFastGradients() max gradient routes dy to every maximum", async () => {
  // Integers make ties: each tied maximum gets dy, as in tfjs.
  const xs = [
    3,
    1,
    3,
    0,
    2,
    5,
    5,
    1,
    4,
    4,
    4,
    4,
    0,
    7,
    1,
    7,
    2,
    6,
    6,
    0,
    9,
    8,
    1,
    9,
  ];
  const shape = [2, 3, 4];
  for (const backend of BACKENDS) {
    await selectBackend(backend);
    for (const axes of [[2], [1], [0, 2]]) {
      for (const keepDims of [false, true]) {
        const got = tf.tidy(() => {
          const input = tf.tensor(xs, shape);
          const f = (v: tf.Tensor) => {
            const m = tf.max(v, axes, keepDims);
            return tf.sum(tf.mul(m, tf.range(1, m.size + 1).reshape(m.shape)));
          };
          return tf.grad(f)(input).dataSync();
        });
        const want = maxGradRef(xs, shape, axes);
        const err = maxAbsDiff(got, want);
        assert.ok(
          err === 0,
          `${backend} axes=${axes} keepDims=${keepDims}: max |diff| ${err}`,
        );
      }
    }
  }
});

/** d/dx of Σ_j (j+1)·max_j(x), where j numbers the outputs row-major. */
function maxGradRef(x: number[], shape: number[], axes: number[]): number[] {
  const strides = shape.map((_, i) =>
    shape.slice(i + 1).reduce((p, d) => p * d, 1)
  );
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = outShape.map((_, i) =>
    outShape.slice(i + 1).reduce((p, d) => p * d, 1)
  );
  const outIndex = (flat: number) =>
    shape.reduce((acc, _, i) => {
      const coord = axes.includes(i) ? 0 : Math.floor(flat / strides[i]) %
        shape[i];
      return acc + coord * outStrides[i];
    }, 0);
  const max = new Map<number, number>();
  x.forEach((v, i) => {
    const o = outIndex(i);
    max.set(o, Math.max(max.get(o) ?? -Infinity, v));
  });
  return x.map((v, i) => (v === max.get(outIndex(i)) ? outIndex(i) + 1 : 0));
}

/** Parameters of a dense layer, maxout units, and one sigmoid output. */
interface TinyNet {
  w1: Float64Array; // [inputs, units · pieces]
  b1: Float64Array; // [units · pieces]
  w2: Float64Array; // [units, 1]
  b2: Float64Array; // [1]
}

const NET = { batch: 5, inputs: 6, units: 3, pieces: 2 };

/** Mean sigmoid cross-entropy of the tiny net, in float64. */
function tinyLossRef(p: TinyNet, x: Float64Array, t: Float64Array): number {
  const { batch, inputs, units, pieces } = NET;
  const width = units * pieces;
  let total = 0;
  for (let i = 0; i < batch; i++) {
    let logit = p.b2[0];
    for (let u = 0; u < units; u++) {
      let h = -Infinity;
      for (let q = 0; q < pieces; q++) {
        const col = u * pieces + q;
        let z = p.b1[col];
        for (let j = 0; j < inputs; j++) {
          z += x[i * inputs + j] * p.w1[j * width + col];
        }
        h = Math.max(h, z);
      }
      logit += h * p.w2[u];
    }
    total += Math.max(logit, 0) - logit * t[i] +
      Math.log1p(Math.exp(-Math.abs(logit)));
  }
  return total / batch;
}

Deno.test("registerFastGradients() dense-maxout-sigmoid gradients match finite differences", async () => {
  const { batch, inputs, units, pieces } = NET;
  const rng = new Rng(11);
  const params: TinyNet = {
    w1: Float64Array.from(rng.normal(inputs * units * pieces)),
    b1: Float64Array.from(rng.normal(units * pieces)),
    w2: Float64Array.from(rng.normal(units)),
    b2: Float64Array.from(rng.normal(1)),
  };
  const x = Float64Array.from(rng.normal(batch * inputs));
  const t = Float64Array.from({ length: batch }, (_, i) => i % 2);
  const shapes = {
    w1: [inputs, units * pieces],
    b1: [units * pieces],
    w2: [units, 1],
    b2: [1],
  };
  const names = Object.keys(shapes) as (keyof TinyNet)[];

  // Central differences of the float64 reference.
  const eps = 1e-5;
  const want = names.map((name) =>
    params[name].map((v, i) => {
      params[name][i] = v + eps;
      const up = tinyLossRef(params, x, t);
      params[name][i] = v - eps;
      const down = tinyLossRef(params, x, t);
      params[name][i] = v;
      return (up - down) / (2 * eps);
    })
  );

  for (const backend of BACKENDS) {
    await selectBackend(backend);
    const got = tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x), [batch, inputs]);
      const tt = tf.tensor2d(Float32Array.from(t), [batch, 1]);
      const loss = (
        w1: tf.Tensor,
        b1: tf.Tensor,
        w2: tf.Tensor,
        b2: tf.Tensor,
      ) => {
        const z = tf.add(tf.matMul(xt, w1), b1);
        // [batch, units · pieces] -> [batch, units, pieces]
        const h = tf.max(tf.reshape(z, [batch, units, pieces]), 2);
        const logits = tf.add(tf.matMul(h, w2), b2);
        return tf.losses.sigmoidCrossEntropy(tt, logits) as tf.Scalar;
      };
      const tensors = names.map((n) =>
        tf.tensor(Float32Array.from(params[n]), shapes[n])
      );
      return tf.grads(loss)(tensors).map((g) => g.dataSync());
    });
    names.forEach((name, i) => {
      const err = maxAbsDiff(got[i], want[i]);
      assert.ok(err < 1e-4, `${backend} d/d${name}: max |diff| ${err}`);
    });
  }
});

Deno.test("registerFastGradients() is idempotent", () => {
  const product = tf.getGradient("BatchMatMul");
  const max = tf.getGradient("Max");
  registerFastGradients();
  assert.equal(tf.getGradient("BatchMatMul"), product);
  assert.equal(tf.getGradient("Max"), max);
});
