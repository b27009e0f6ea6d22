/**
 * The kernels `installWasmKernels()` registers on the wasm backend
 * (`BatchMatMul`, `Max`, `MaxInnermostGrad`, `Identity`, `Sum`, `Add`,
 * `SgdMomentumUpdate`) against the cpu backend on the same input values:
 * every transpose flag and branch of the product, batches (broadcast ones
 * included), innermost and other maxima with ties and NaN, the max
 * gradient, a shared-buffer clone that outlives its original, the fused
 * momentum step bit for bit, and column sums.
 */
import assert from "node:assert/strict";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import {
  hasKernel,
  SGD_MOMENTUM,
  sgdMomentumStep,
} from "../src/backend/fused_ops.ts";
import { Rng } from "../src/util/rng.ts";

await selectBackend("wasm");

/** An output's shape and values. */
interface Result {
  shape: number[];
  values: Float32Array;
}

/** Run `compute` on wasm, then on cpu, and return both results. */
async function onBoth(
  compute: () => tf.Tensor,
): Promise<{ wasm: Result; cpu: Result }> {
  const run = (): Result => {
    const before = tf.memory().numTensors;
    const t = tf.tidy(compute);
    const result = {
      shape: t.shape,
      values: Float32Array.from(t.dataSync()),
    };
    t.dispose();
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    return result;
  };
  await tf.setBackend("wasm");
  const wasm = run();
  await tf.setBackend("cpu");
  const cpu = run();
  await tf.setBackend("wasm");
  return { wasm, cpu };
}

/** Max |a − b|; Infinity where exactly one of the two is NaN. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, "lengths differ");
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    const diff = Math.abs(a[i] - b[i]);
    max = Math.max(max, Number.isNaN(diff) ? Infinity : diff);
  }
  return max;
}

/** Assert equal shapes and values within `tol`, naming `label`. */
function assertClose(
  got: { wasm: Result; cpu: Result },
  tol: number,
  label: string,
): void {
  assert.deepEqual(got.wasm.shape, got.cpu.shape, `${label}: shape`);
  const diff = maxAbsDiff(got.wasm.values, got.cpu.values);
  assert.ok(diff <= tol, `${label}: max |diff| ${diff} > ${tol}`);
}

const rng = new Rng(11);

/** A thunk making a float32 tensor of `values` with this shape. */
function tensorOf(shape: number[], values: Float32Array): () => tf.Tensor {
  return () => tf.tensor(values, shape);
}

/** Random values for a tensor of `shape`. */
function randomValues(shape: number[]): Float32Array {
  return rng.uniform(shape.reduce((p, d) => p * d, 1), -1, 1);
}

/**
 * (m, k, n) for each branch of the product: m ≤ n and m > n matter with
 * transposeB; with transposeA alone, n of 32 or more copies A row-major
 * and a narrower product reads it through strides; edge sizes reach every
 * register tile.
 */
const PRODUCT_DIMS: [number, number, number][] = [
  [37, 300, 45],
  [45, 300, 37],
  [1, 5, 3],
  [5, 1, 1],
  [4, 257, 8],
];

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** The stored shape of an operand that is `rows` × `cols` after op(). */
function stored(
  batch: number[],
  rows: number,
  cols: number,
  transposed: boolean,
): number[] {
  return [...batch, ...(transposed ? [cols, rows] : [rows, cols])];
}

/** Compare `tf.matMul` on both backends for these batches and dims. */
async function checkMatMul(
  batchA: number[],
  batchB: number[],
  [m, k, n]: [number, number, number],
): Promise<void> {
  for (const [ta, tb] of FLAGS) {
    const aShape = stored(batchA, m, k, ta);
    const bShape = stored(batchB, k, n, tb);
    const a = tensorOf(aShape, randomValues(aShape));
    const b = tensorOf(bShape, randomValues(bShape));
    const got = await onBoth(() => tf.matMul(a(), b(), ta, tb));
    const label = `matMul([${aShape}], [${bShape}], ${ta}, ${tb})`;
    assertClose(got, 1e-5 * Math.sqrt(k), label);
  }
}

Deno.test("installWasmKernels() registers webgan's kernels on wasm", () => {
  const names = [
    "BatchMatMul",
    "Max",
    "Identity",
    "MaxInnermostGrad",
    "Sum",
    "Add",
    SGD_MOMENTUM,
  ];
  for (const name of names) {
    assert.ok(tf.getKernel(name, "wasm"), `no wasm ${name} kernel`);
  }
});

Deno.test("wasm matMul matches cpu for every transpose flag and branch", async () => {
  for (const dims of PRODUCT_DIMS) await checkMatMul([], [], dims);
});

Deno.test("wasm matMul matches cpu on equal and broadcast batches", async () => {
  const dims: [number, number, number] = [13, 70, 9];
  await checkMatMul([3], [3], dims);
  await checkMatMul([1], [3], dims);
  await checkMatMul([3], [1], dims);
  await checkMatMul([], [2], dims);
  await checkMatMul([2, 3], [2, 3], dims);
});

Deno.test("wasm matMul takes its output shape from the broadcast batch", async () => {
  // Regression: [1, 1] with [3] broadcasts to [1, 3], not [3] or [1, 1].
  const a = tensorOf([1, 1, 1, 2], new Float32Array([1, 2]));
  const b = tensorOf([3, 2, 1], new Float32Array([10, 20, 30, 40, 50, 60]));
  const got = await onBoth(() => tf.matMul(a(), b()));
  assertClose(got, 0, "matMul([1,1,1,2], [3,2,1])");
  assert.deepEqual(got.wasm.shape, [1, 3, 1, 1], "shape");
  // a · b_j for each of b's 3 batches.
  const want = new Float32Array([50, 110, 170]);
  assert.equal(maxAbsDiff(got.wasm.values, want), 0, "values");
});

Deno.test("wasm matMul hands batches broadcast on several axes to stock", async () => {
  // [3, 1] with [1, 3] broadcasts to [3, 3]: 9 products, but batchA and
  // batchB are both 3, which webgan's kernel once took for equal batches.
  // tfjs 4.22 itself gets this case wrong on both backends: it pairs the
  // batches diagonally and returns 3 values under the 9-element shape
  // [3, 3, 1, 1]. The stock wasm kernel agrees with cpu bit for bit, so
  // the values are compared too, whatever they are.
  const a = tensorOf([3, 1, 1, 2], new Float32Array([1, 2, 3, 4, 5, 6]));
  const b = tensorOf(
    [1, 3, 2, 1],
    new Float32Array([10, 20, 30, 40, 50, 60]),
  );
  const got = await onBoth(() => tf.matMul(a(), b()));
  assert.deepEqual(got.cpu.shape, [3, 3, 1, 1], "cpu shape");
  assertClose(got, 0, "matMul([3,1,1,2], [1,3,2,1])");
});

Deno.test("wasm matMul hands int32 inputs to the stock kernel", () => {
  // The stock wasm kernel refuses int32; webgan's, which only reads
  // float32, would have computed from the raw bits instead of throwing.
  const a = tf.tensor2d([1, 2, 3, 4], [2, 2], "int32");
  assert.throws(() => tf.matMul(a, a), /float32/);
  a.dispose();
});

/** [4, 6, 5] values with ties, a NaN, negatives and signed zeros. */
function maxoutValues(withNaN: boolean): Float32Array {
  const x = randomValues([4, 6, 5]);
  x.set([0.25, 0.9, 0.9, -0.5, 0.9], 0); // a three-way tie
  x.set([-3, -2, -7, -2, -9], 5); // a tie among negatives
  x.set([-0, 0, -0, -1, -2], 10); // signed zeros
  x.set([0.5, 0.5, 0.5, 0.5, 0.5], 15); // all equal
  if (withNaN) x[22] = NaN;
  return x;
}

Deno.test("wasm max over the innermost axis matches cpu", async () => {
  const x = tensorOf([4, 6, 5], maxoutValues(true));
  for (const keepDims of [false, true]) {
    for (const axis of [-1, 2]) {
      const got = await onBoth(() => tf.max(x(), axis, keepDims));
      const label = `max(x, ${axis}, ${keepDims})`;
      assertClose(got, 0, label);
      const nan = got.wasm.values.map((v) => Number.isNaN(v) ? 1 : 0);
      assert.equal(nan[4], 1, `${label}: the NaN row is not NaN`);
    }
  }
  const pieces1 = tensorOf([3, 1], new Float32Array([2, -0, NaN]));
  assertClose(await onBoth(() => tf.max(pieces1(), -1)), 0, "1 piece");
});

Deno.test("wasm max over other axes matches cpu", async () => {
  const x = tensorOf([4, 6, 5], maxoutValues(false));
  for (const axis of [0, 1, [0, 2]]) {
    const got = await onBoth(() => tf.max(x(), axis));
    assertClose(got, 0, `max(x, ${JSON.stringify(axis)})`);
  }
});

Deno.test("wasm max gradient routes dy to every tied maximum, as cpu does", async () => {
  const values = maxoutValues(true);
  const weights = randomValues([4, 6]);
  for (const keepDims of [false, true]) {
    const got = await onBoth(() => {
      const w = tf.tensor(weights, keepDims ? [4, 6, 1] : [4, 6]);
      const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.max(x, -1, keepDims), w));
      return tf.grad(f)(tf.tensor(values, [4, 6, 5]));
    });
    assertClose(got, 0, `grad of max(x, -1, ${keepDims})`);
    const nonzero = got.wasm.values.filter((v) => v !== 0).length;
    // 24 rows: one maximum each, plus 2 + 1 + 2 + 4 extra tied maxima
    // (±0 tie), less the NaN row, which passes no gradient.
    assert.equal(nonzero, 24 + 9 - 1, "pieces receiving dy");
  }
});

Deno.test("wasm clone shares the buffer and outlives its original", async () => {
  await tf.setBackend("wasm");
  const before = tf.memory().numTensors;
  const values = randomValues([64, 33]);

  // Dispose the original first, then overwrite freed memory.
  const x = tf.tensor2d(values, [64, 33]);
  const clone = tf.clone(x);
  x.dispose();
  const filler = tf.fill([64, 33], 7);
  const read = await clone.data();
  assert.equal(maxAbsDiff(read as Float32Array, values), 0, "clone changed");
  clone.dispose();
  filler.dispose();
  assert.equal(tf.memory().numTensors, before, "clone leaked");

  // Dispose the clone first.
  const y = tf.tensor2d(values, [64, 33]);
  tf.clone(y).dispose();
  const refill = tf.fill([64, 33], -3);
  const kept = await y.data();
  assert.equal(maxAbsDiff(kept as Float32Array, values), 0, "original changed");
  y.dispose();
  refill.dispose();
  assert.equal(tf.memory().numTensors, before, "original leaked");
});

/** Float32 bits of `values`, for comparing results bit for bit. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Where the bits of `got` and `want` differ: a count and the first. */
function bitDiffs(got: Float32Array, want: Float32Array): string {
  assert.equal(got.length, want.length, "lengths differ");
  const [g, w] = [bits(got), bits(want)];
  let count = 0;
  let first = "";
  for (let i = 0; i < g.length; i++) {
    if (g[i] === w[i]) continue;
    if (count === 0) first = ` (first at ${i}: ${got[i]} vs ${want[i]})`;
    count++;
  }
  return count === 0 ? "" : `${count} floats differ${first}`;
}

/** θ' and v' of one momentum step, and the kernels that computed them. */
interface StepResult {
  theta: Float32Array;
  vel: Float32Array;
  kernels: string[];
}

/** Run `step` on `backend` on these values and profile its kernels. */
async function momentumOn(
  backend: string,
  values: { theta: Float32Array; vel: Float32Array; grad: Float32Array },
  shape: number[],
  step: (
    t: { theta: tf.Tensor; vel: tf.Tensor; grad: tf.Tensor },
  ) => { theta: tf.Tensor; vel: tf.Tensor },
): Promise<StepResult> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const inputs = {
    theta: tf.tensor(values.theta, shape),
    vel: tf.tensor(values.vel, shape),
    grad: tf.tensor(values.grad, shape),
  };
  let out: { theta: tf.Tensor; vel: tf.Tensor } | undefined;
  const info = await tf.profile(() => {
    out = tf.tidy(() => step(inputs));
    return [out.theta, out.vel];
  });
  const result = {
    theta: Float32Array.from(await out!.theta.data()),
    vel: Float32Array.from(await out!.vel.data()),
    kernels: info.kernelNames,
  };
  tf.dispose([out!.theta, out!.vel, inputs.theta, inputs.vel, inputs.grad]);
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
  await tf.setBackend("wasm");
  return result;
}

/** The unfused composition that {@linkcode sgdMomentumStep} replaces. */
function composedStep(
  rates: { momentum: number; lr: number },
): (
  t: { theta: tf.Tensor; vel: tf.Tensor; grad: tf.Tensor },
) => { theta: tf.Tensor; vel: tf.Tensor } {
  return ({ theta, vel, grad }) => {
    const v = tf.sub(tf.mul(vel, rates.momentum), tf.mul(grad, rates.lr));
    return { theta: tf.add(theta, v), vel: v };
  };
}

Deno.test("sgdMomentumStep() on wasm equals the cpu composition bit for bit", async () => {
  const rates = { momentum: 0.9, lr: 0.1 };
  // Sizes that are and are not multiples of the kernel's 4 lanes.
  for (const shape of [[1], [3], [4], [37, 45], [1001]]) {
    const values = {
      theta: randomValues(shape),
      vel: rng.uniform(shape.reduce((p, d) => p * d, 1), -0.1, 0.1),
      grad: randomValues(shape),
    };
    const fused = await momentumOn(
      "wasm",
      values,
      shape,
      (t) => sgdMomentumStep(t, rates),
    );
    const plain = await momentumOn("cpu", values, shape, composedStep(rates));
    const label = `[${shape}]`;
    assert.deepEqual(fused.kernels, [SGD_MOMENTUM], `${label}: wasm kernels`);
    assert.equal(bitDiffs(fused.theta, plain.theta), "", `${label}: θ'`);
    assert.equal(bitDiffs(fused.vel, plain.vel), "", `${label}: v'`);
  }
});

Deno.test("sgdMomentumStep() on cpu falls back to the composition", async () => {
  const rates = { momentum: 0.5, lr: 1e-3 };
  const shape = [37, 45];
  const values = {
    theta: randomValues(shape),
    vel: randomValues(shape),
    grad: randomValues(shape),
  };
  await tf.setBackend("cpu");
  const cpuHasKernel = hasKernel(SGD_MOMENTUM);
  await tf.setBackend("wasm");
  assert.equal(cpuHasKernel, false, "cpu has the fused kernel");
  const fallback = await momentumOn(
    "cpu",
    values,
    shape,
    (t) => sgdMomentumStep(t, rates),
  );
  const plain = await momentumOn("cpu", values, shape, composedStep(rates));
  assert.ok(
    !fallback.kernels.includes(SGD_MOMENTUM),
    `cpu ran ${fallback.kernels}`,
  );
  assert.deepEqual(fallback.kernels, plain.kernels, "cpu kernels");
  assert.equal(bitDiffs(fallback.theta, plain.theta), "", "θ'");
  assert.equal(bitDiffs(fallback.vel, plain.vel), "", "v'");
});

Deno.test("wasm sum over a float32 matrix's rows matches cpu", async () => {
  const x = tensorOf([100, 37], randomValues([100, 37]));
  for (const keepDims of [false, true]) {
    const got = await onBoth(() => tf.sum(x(), 0, keepDims));
    assert.deepEqual(got.wasm.shape, keepDims ? [1, 37] : [37], "shape");
    // cpu accumulates in float64, webgan's kernel in float32.
    assertClose(got, 1e-6 * 100, `sum(x, 0, ${keepDims})`);
  }
});

Deno.test("wasm sum over other axes and of int32 matches cpu", async () => {
  const values = randomValues([100, 37]);
  const x = tensorOf([100, 37], values);
  // The stock kernel sums in float32 too, so float32 sums match only
  // within a tolerance; int32 sums match exactly.
  for (const axis of [1, -1, [0, 1]]) {
    const got = await onBoth(() => tf.sum(x(), axis));
    assertClose(got, 1e-6 * 100, `sum(x, ${JSON.stringify(axis)})`);
  }
  // Every sum stays under 2²⁴, so float32 holds it exactly.
  const ints = Int32Array.from(values, (v) => Math.round(v * 1000));
  const xi = () => tf.tensor(ints, [100, 37], "int32");
  for (const axis of [undefined, 0, 1]) {
    const got = await onBoth(() => tf.sum(xi(), axis));
    assertClose(got, 0, `sum(int32, ${axis})`);
    const want = axis === undefined
      ? [ints.reduce((s, v) => s + v, 0)]
      : axis === 1
      ? Array.from({ length: 100 }, (_, r) => {
        return ints.slice(37 * r, 37 * r + 37).reduce((s, v) => s + v, 0);
      })
      : Array.from({ length: 37 }, (_, c) => {
        let s = 0;
        for (let r = 0; r < 100; r++) s += ints[37 * r + c];
        return s;
      });
    assert.deepEqual(Array.from(got.wasm.values), want, `int32 ${axis}`);
  }
});

Deno.test("wasm add of a row vector to a matrix equals cpu bit for bit", async () => {
  // 37 columns: nine vectors and a tail of one; both operand orders, the
  // vector as [cols] and as [1, cols]. One float32 addition an element, so
  // nothing may differ.
  const x = tensorOf([5, 37], randomValues([5, 37]));
  const b = tensorOf([37], randomValues([37]));
  const cases: [string, () => tf.Tensor][] = [
    ["x + b", () => tf.add(x(), b())],
    ["b + x", () => tf.add(b(), x())],
    ["x + b[1, 37]", () => tf.add(x(), tf.reshape(b(), [1, 37]))],
  ];
  for (const [label, compute] of cases) {
    const got = await onBoth(compute);
    assert.deepEqual(got.wasm.shape, [5, 37], `${label}: shape`);
    assertClose(got, 0, label);
  }
});

Deno.test("wasm add of other shapes and of int32 matches cpu", async () => {
  const x = tensorOf([5, 37], randomValues([5, 37]));
  const ints = () => tf.tensor([1, 2, 3], [3], "int32");
  const cases: [string, () => tf.Tensor][] = [
    ["same shapes", () => tf.add(x(), x())],
    ["a column", () => tf.add(x(), tf.ones([5, 1]))],
    ["a scalar", () => tf.add(x(), 2)],
    ["rank 3", () => tf.add(tf.reshape(x(), [5, 37, 1]), tf.ones([1]))],
    ["int32", () => tf.add(tf.reshape(ints(), [1, 3]), ints())],
  ];
  for (const [label, compute] of cases) {
    assertClose(await onBoth(compute), 1e-6, label);
  }
});
