/**
 * Convolution, transposed convolution and batch norm against plain-JS
 * float64 references: the forward pass value by value, and the tfjs
 * autodiff gradient of a loss against central finite differences of the
 * reference. Run on cpu (the stock kernels) and on wasm (whose conv filter
 * gradient is webgan's own, `src/models/conv_filter_kernel.ts`).
 */
import assert from "node:assert/strict";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import { BatchNorm, Conv2d, Conv2dTranspose } from "../src/models/layers.ts";
import { Rng } from "../src/util/rng.ts";

type Shape4 = [number, number, number, number];

/** "same" padding before the data along one axis, as TensorFlow puts it. */
function padBefore(size: number, kernel: number, stride: number): number {
  const out = Math.ceil(size / stride);
  return Math.floor(Math.max(0, (out - 1) * stride + kernel - size) / 2);
}

/** Reference conv: x `[b, H, W, ci]`, w `[k, k, ci, co]`, stride s. */
function convRef(
  x: Float64Array,
  xs: Shape4,
  p: { w: Float64Array; b: Float64Array; k: number; s: number; co: number },
): { y: Float64Array; shape: Shape4 } {
  const [nb, h, w, ci] = xs;
  const { k, s, co } = p;
  const [ho, wo] = [Math.ceil(h / s), Math.ceil(w / s)];
  const [pt, pl] = [padBefore(h, k, s), padBefore(w, k, s)];
  const y = new Float64Array(nb * ho * wo * co);
  for (let n = 0; n < nb; n++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        for (let o = 0; o < co; o++) {
          let acc = p.b[o];
          for (let ki = 0; ki < k; ki++) {
            for (let kj = 0; kj < k; kj++) {
              const [r, c] = [i * s + ki - pt, j * s + kj - pl];
              if (r < 0 || r >= h || c < 0 || c >= w) continue;
              for (let m = 0; m < ci; m++) {
                acc += x[((n * h + r) * w + c) * ci + m] *
                  p.w[((ki * k + kj) * ci + m) * co + o];
              }
            }
          }
          y[((n * ho + i) * wo + j) * co + o] = acc;
        }
      }
    }
  }
  return { y, shape: [nb, ho, wo, co] };
}

/**
 * Reference transposed conv, the adjoint of {@linkcode convRef} from
 * `[b, h·s, w·s, co]` to `[b, h, w, ci]`: each input value is scattered to
 * the output positions that the forward conv would have read it from.
 * x `[b, h, w, ci]`, w `[k, k, co, ci]`.
 */
function convTransposeRef(
  x: Float64Array,
  xs: Shape4,
  p: { w: Float64Array; b: Float64Array; k: number; s: number; co: number },
): { y: Float64Array; shape: Shape4 } {
  const [nb, h, w, ci] = xs;
  const { k, s, co } = p;
  const [ho, wo] = [h * s, w * s];
  const [pt, pl] = [padBefore(ho, k, s), padBefore(wo, k, s)];
  const y = new Float64Array(nb * ho * wo * co);
  for (let idx = 0; idx < y.length; idx++) y[idx] = p.b[idx % co];
  for (let n = 0; n < nb; n++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let ki = 0; ki < k; ki++) {
          for (let kj = 0; kj < k; kj++) {
            const [r, c] = [i * s + ki - pt, j * s + kj - pl];
            if (r < 0 || r >= ho || c < 0 || c >= wo) continue;
            for (let o = 0; o < co; o++) {
              let acc = 0;
              for (let m = 0; m < ci; m++) {
                acc += x[((n * h + i) * w + j) * ci + m] *
                  p.w[((ki * k + kj) * co + o) * ci + m];
              }
              y[((n * ho + r) * wo + c) * co + o] += acc;
            }
          }
        }
      }
    }
  }
  return { y, shape: [nb, ho, wo, co] };
}

/** Reference batch norm over every axis but the last, on batch stats. */
function batchNormRef(
  x: Float64Array,
  channels: number,
  p: { gamma: Float64Array; beta: Float64Array; eps: number },
): Float64Array {
  const n = x.length / channels;
  const y = new Float64Array(x.length);
  for (let c = 0; c < channels; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * channels + c];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * channels + c] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / n + p.eps);
    for (let i = 0; i < n; i++) {
      const j = i * channels + c;
      y[j] = p.gamma[c] * (x[j] - mean) * inv + p.beta[c];
    }
  }
  return y;
}

/** The loss both sides differentiate: Σ r·y + ½ Σ y², nonlinear in y. */
function lossRef(y: Float64Array, r: Float32Array): number {
  let l = 0;
  for (let i = 0; i < y.length; i++) l += r[i] * y[i] + 0.5 * y[i] * y[i];
  return l;
}

function lossTf(y: tf.Tensor, r: tf.Tensor): tf.Scalar {
  return tf.add(tf.sum(tf.mul(r, y)), tf.mul(0.5, tf.sum(tf.square(y))));
}

/** Central differences of `f` with respect to every entry of `params`. */
function finiteDifferences(
  params: Float64Array[],
  f: () => number,
  h = 1e-5,
): Float64Array[] {
  return params.map((p) =>
    p.map((v, i) => {
      p[i] = v + h;
      const up = f();
      p[i] = v - h;
      const down = f();
      p[i] = v;
      return (up - down) / (2 * h);
    })
  );
}

/** Worst |autodiff − numeric| / (1 + |numeric|) over every entry. */
function worstError(auto: Float32Array[], numeric: Float64Array[]): number {
  let worst = 0;
  auto.forEach((a, k) =>
    a.forEach((v, i) => {
      const n = numeric[k][i];
      worst = Math.max(worst, Math.abs(v - n) / (1 + Math.abs(n)));
    })
  );
  return worst;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Compare a layer's forward pass and gradients with a reference.
 *
 * @param vars The tfjs variables, x first.
 * @param forward The tfjs forward pass on those variables.
 * @param reference The float64 forward pass on copies of their values.
 */
async function checkLayer(
  vars: tf.Variable[],
  forward: () => tf.Tensor,
  reference: (params: Float64Array[]) => Float64Array,
  name: string,
): Promise<void> {
  const params = vars.map((v) => Float64Array.from(v.dataSync()));
  const yRef = reference(params);
  const r = new Rng(7).uniform(yRef.length, -1, 1);
  const yTf = tf.tidy(forward);
  const forwardDiff = maxAbsDiff(await yTf.data(), yRef);
  assert.ok(forwardDiff < 1e-4, `${name}: forward max diff ${forwardDiff}`);

  const rT = tf.tensor(r, yTf.shape);
  yTf.dispose();
  const { grads } = tf.variableGrads(
    () => lossTf(forward(), rT),
    vars,
  );
  const auto = await Promise.all(
    vars.map((v) => grads[v.name].data() as Promise<Float32Array>),
  );
  tf.dispose([rT, ...Object.values(grads)]);
  const numeric = finiteDifferences(
    params,
    () => lossRef(reference(params), r),
  );
  const worst = worstError(auto, numeric);
  assert.ok(worst < 1e-3, `${name}: gradient max rel. diff ${worst}`);
}

function randomVariable(rng: Rng, shape: number[]): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(rng.uniform(n, -1, 1), shape));
}

const TORCH = { init: { kind: "torch" }, biasLikeWeights: true } as const;

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`Conv2d gradients match finite differences (${backend})`, async () => {
    await selectBackend(backend);
    const rng = new Rng(1);
    // Odd width: "same" padding is lopsided there.
    for (
      const [xs, stride] of [[[2, 6, 5, 2], 2], [[1, 4, 4, 3], 1]] as const
    ) {
      const [ci, co, k] = [xs[3], 3, 3];
      const conv = new Conv2d(rng, [ci, co], { ...TORCH, kernel: k, stride });
      const x = randomVariable(rng, [...xs]);
      await checkLayer(
        [x, conv.w, conv.b],
        () => conv.apply(x),
        ([xv, w, b]) => convRef(xv, [...xs], { w, b, k, s: stride, co }).y,
        `conv ${xs} stride ${stride}`,
      );
      tf.dispose([x, conv.w, conv.b]);
    }
  });

  Deno.test(`Conv2dTranspose gradients match finite differences (${backend})`, async () => {
    await selectBackend(backend);
    const rng = new Rng(2);
    for (const [xs, k] of [[[2, 3, 2, 3], 3], [[1, 2, 3, 2], 4]] as const) {
      const [ci, co] = [xs[3], 2];
      const up = new Conv2dTranspose(rng, [ci, co], {
        ...TORCH,
        kernel: k,
        stride: 2,
      });
      const x = randomVariable(rng, [...xs]);
      await checkLayer(
        [x, up.w, up.b],
        () => up.apply(x),
        ([xv, w, b]) => convTransposeRef(xv, [...xs], { w, b, k, s: 2, co }).y,
        `conv transpose ${xs} kernel ${k}`,
      );
      tf.dispose([x, up.w, up.b]);
    }
  });

  Deno.test(`BatchNorm gradients match finite differences (${backend})`, async () => {
    await selectBackend(backend);
    const rng = new Rng(3);
    // A conv feature map, and a column of logits as D's last norm sees.
    for (const shape of [[3, 2, 2, 3], [6, 1]]) {
      const channels = shape[shape.length - 1];
      const norm = new BatchNorm(channels);
      const x = randomVariable(rng, shape);
      norm.gamma.assign(tf.tensor(rng.uniform(channels, 0.5, 1.5)));
      norm.beta.assign(tf.tensor(rng.uniform(channels, -0.5, 0.5)));
      await checkLayer(
        [x, norm.gamma, norm.beta],
        () => norm.apply(x, { training: true }),
        ([xv, gamma, beta]) =>
          batchNormRef(xv, channels, { gamma, beta, eps: norm.epsilon }),
        `batch norm ${shape}`,
      );
      tf.dispose([x, ...norm.variables, ...norm.buffers]);
    }
  });
}

Deno.test("Conv2dTranspose initialises like PyTorch's ConvTranspose2d", () => {
  // PyTorch's weight is [in, out, k, k], so its fan-in is out·k·k.
  const up = new Conv2dTranspose(new Rng(4), [64, 8], {
    ...TORCH,
    kernel: 3,
  });
  const bound = 1 / Math.sqrt(8 * 9);
  const w = up.w.dataSync();
  const top = Array.from(w).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.deepStrictEqual(up.w.shape, [3, 3, 8, 64]);
  assert.ok(top <= bound, `|w| reached ${top}, above ${bound}`);
  assert.ok(top > 0.9 * bound, `|w| peaked at ${top}, expected near ${bound}`);
  tf.dispose(up.variables);
});

/** Input, filter and output gradients of a conv and a transposed conv. */
async function convGradients(
  backend: "cpu" | "wasm",
  c: { x: number[]; k: number; s: number; pad: "same" | "valid" },
): Promise<Float32Array[]> {
  await selectBackend(backend);
  const rng = new Rng(11);
  const [, h, w, ci] = c.x;
  const co = 3;
  const x = tf.tensor4d(rng.uniform(c.x.reduce((a, b) => a * b), -1, 1), [
    c.x[0],
    h,
    w,
    ci,
  ]);
  const filter = tf.tensor4d(rng.uniform(c.k * c.k * ci * co, -1, 1), [
    c.k,
    c.k,
    ci,
    co,
  ]);
  const loss = (y: tf.Tensor) =>
    tf.sum(tf.mul(
      y,
      tf.sin(tf.range(0, y.size))
        .reshape(y.shape),
    ));
  const convGrads = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
    loss(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad))
  )([x, filter]);
  // The transposed conv maps a conv's output shape back to x's shape.
  const yShape = tf.conv2d(x, filter, c.s, c.pad).shape;
  const y = tf.tensor4d(rng.uniform(yShape.reduce((a, b) => a * b), -1, 1), [
    ...yShape,
  ]);
  const up = (a: tf.Tensor, f: tf.Tensor) =>
    tf.conv2dTranspose(
      a as tf.Tensor4D,
      f as tf.Tensor4D,
      [c.x[0], h, w, ci],
      c.s,
      c.pad,
    );
  const upGrads = tf.grads((a: tf.Tensor, f: tf.Tensor) => loss(up(a, f)))([
    y,
    filter,
  ]);
  const upOut = up(y, filter);
  const all = [...convGrads, ...upGrads, upOut];
  const out = await Promise.all(
    all.map((t) => t.data() as Promise<Float32Array>),
  );
  tf.dispose([x, filter, y, ...all]);
  return out;
}

Deno.test("wasm conv kernels agree with cpu across shapes and paddings", async () => {
  const cases = [];
  for (const pad of ["same", "valid"] as const) {
    for (const [k, s] of [[1, 1], [2, 2], [3, 1], [3, 2], [4, 2], [5, 3]]) {
      for (const x of [[2, 7, 6, 2], [1, 8, 9, 3]]) {
        cases.push({ x, k, s, pad });
      }
    }
  }
  for (const c of cases) {
    const cpu = await convGradients("cpu", c);
    const wasm = await convGradients("wasm", c);
    let worst = 0;
    cpu.forEach((a, i) =>
      a.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - wasm[i][j]) / (1 + Math.abs(v)));
      })
    );
    assert.ok(worst < 1e-4, `${JSON.stringify(c)}: max rel. diff ${worst}`);
  }
});
