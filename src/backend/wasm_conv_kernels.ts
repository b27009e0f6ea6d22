/**
 * Convolution gradient kernels for the wasm backend, written as forward
 * convolutions so that they run through XNNPACK.
 *
 * - `Conv2DBackpropFilter` (the filter gradient of `tf.conv2d` and of
 *   `tf.conv2dTranspose`): tfjs-backend-wasm 4.22 registers none, so
 *   autodiff through a convolution fails on wasm with "Kernel
 *   'Conv2DBackpropFilter' not registered". (Its 3-D counterpart,
 *   `Conv3DBackpropFilterV2`, disagrees with the cpu backend and with
 *   finite differences for strides above 1, so it cannot stand in.)
 * - `Conv2DBackpropInput` (the input gradient of `tf.conv2d`, and the
 *   forward pass of `tf.conv2dTranspose`): tfjs-backend-wasm has one, but a
 *   plain loop that ran the reference generators' upsampling 10 to 20 times
 *   slower than XNNPACK runs a convolution of the same size.
 *
 * Take a convolution of x `[b, H, W, ci]` with w `[k, k, ci, co]`,
 * stride s, giving dy `[b, Ho, Wo, co]`, and x̃ the input padded as the
 * forward pass padded it. Then
 *
 *   dW[i, j, c, o] = Σ_{n, p, q} x̃[n, p·s + i, q·s + j, c] · dy[n, p, q, o]
 *
 * is a stride-1 convolution of x̃ᵀ `[ci, H̃, W̃, b]` (channels as the batch,
 * examples as the input channels) with dyᵀ `[Ho, Wo, b, co]` as the filter
 * dilated by s, whose `[ci, k, k, co]` output is transposed to
 * `[k, k, ci, co]`; and
 *
 *   dx[n, r, t, c] = Σ_{i, j, o} ẑ[n, r + i, t + j, o] · w[k−1−i, k−1−j, c, o]
 *
 * is a stride-1 convolution of ẑ, dy with s − 1 zeros inserted after each
 * row and column and padded by k − 1 − (the forward pass's padding before),
 * with the filter flipped in space and transposed to `[k, k, co, ci]`.
 * The zeros cost s² times the useful multiply-adds, still far less time.
 *
 * Importing this module registers both kernels on wasm (replacing the
 * stock input gradient). Other backends keep their own.
 *
 * @module
 */
// Imported by ./tf.ts, so it imports tfjs directly to avoid a cycle.
import * as tf from "@tensorflow/tfjs";

const BACKEND = "wasm";

/** The attributes tfjs passes to both backprop kernels. */
interface BackpropAttrs {
  strides: [number, number] | number;
  pad: unknown;
  dataFormat: "NHWC" | "NCHW";
  /** `Conv2DBackpropFilter` only. */
  filterShape: [number, number, number, number];
  /** `Conv2DBackpropInput` only. */
  inputShape: [number, number, number, number];
}

/** The part of the wasm backend these kernels use. */
interface WasmBackend {
  disposeData(dataId: tf.DataId): boolean;
}

/** Runs other wasm kernels and releases their intermediate outputs. */
class KernelRunner {
  readonly #backend: unknown;
  readonly #temps: tf.TensorInfo[] = [];

  constructor(backend: unknown) {
    this.#backend = backend;
  }

  /** Run kernel `name`; its output is released by {@linkcode release}. */
  temp(
    name: string,
    inputs: Record<string, tf.TensorInfo>,
    attrs: Record<string, unknown>,
  ): tf.TensorInfo {
    const out = this.result(name, inputs, attrs);
    this.#temps.push(out);
    return out;
  }

  /** Run kernel `name`; its output is the caller's. */
  result(
    name: string,
    inputs: Record<string, tf.TensorInfo>,
    attrs: Record<string, unknown>,
  ): tf.TensorInfo {
    return tf.getKernel(name, BACKEND).kernelFunc({
      inputs,
      backend: this.#backend as tf.KernelBackend,
      attrs: attrs as tf.NamedAttrMap,
    }) as tf.TensorInfo;
  }

  /** Release every intermediate output. */
  release(): void {
    const backend = this.#backend as WasmBackend;
    for (const t of this.#temps) backend.disposeData(t.dataId);
  }
}

/** The same buffer under another shape of the same size. */
function view(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Padding before the data along one axis, and the output size. */
function axisPadding(
  pad: "same" | "valid",
  size: number,
  kernel: number,
  stride: number,
): { before: number; out: number } {
  if (pad === "valid") {
    return { before: 0, out: Math.floor((size - kernel) / stride) + 1 };
  }
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + kernel - size);
  return { before: Math.floor(total / 2), out };
}

function checkedAttrs(name: string, attrs: unknown) {
  const a = attrs as BackpropAttrs;
  if (a.dataFormat !== "NHWC") {
    throw new Error(`${name} on wasm supports NHWC only`);
  }
  if (a.pad !== "same" && a.pad !== "valid") {
    throw new Error(`${name} on wasm supports "same" or "valid" padding`);
  }
  const [sh, sw] = typeof a.strides === "number"
    ? [a.strides, a.strides]
    : a.strides;
  return { ...a, pad: a.pad as "same" | "valid", sh, sw };
}

function conv2dBackpropFilter(
  args: Parameters<tf.KernelFunc>[0],
): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { pad, sh, sw, filterShape } = checkedAttrs(
    "Conv2DBackpropFilter",
    args.attrs,
  );
  const [kh, kw, ci] = filterShape;
  const [b, h, w] = x.shape;
  const run = new KernelRunner(args.backend);

  // Rows (and columns) the forward pass read: padding before, then the
  // input, then padding after up to the last window's end. A negative
  // "after" means the last rows were never read; they are cut off.
  const rows = axisPadding(pad, h, kh, sh);
  const cols = axisPadding(pad, w, kw, sw);
  const rowsAfter = (rows.out - 1) * sh + kh - h - rows.before;
  const colsAfter = (cols.out - 1) * sw + kw - w - cols.before;

  // x [b, H, W, ci] → [ci, H, W, b]; dy [b, Ho, Wo, co] → [Ho, Wo, b, co].
  let xt = run.temp("Transpose", { x }, { perm: [3, 1, 2, 0] });
  if (rowsAfter < 0 || colsAfter < 0) {
    xt = run.temp("Slice", { x: xt }, {
      begin: [0, 0, 0, 0],
      size: [ci, h + Math.min(0, rowsAfter), w + Math.min(0, colsAfter), b],
    });
  }
  const dyt = run.temp("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });

  // [ci, kh, kw, co]: one output position per filter tap.
  const taps = run.temp("Conv2D", { x: xt, filter: dyt }, {
    strides: [1, 1],
    pad: [
      [0, 0],
      [rows.before, Math.max(0, rowsAfter)],
      [cols.before, Math.max(0, colsAfter)],
      [0, 0],
    ],
    dataFormat: "NHWC",
    dilations: [sh, sw],
  });
  // [ci, kh, kw, co] → [kh, kw, ci, co]
  const dw = run.result("Transpose", { x: taps }, { perm: [1, 2, 0, 3] });
  run.release();
  return dw;
}

function conv2dBackpropInput(
  args: Parameters<tf.KernelFunc>[0],
): tf.TensorInfo {
  const { dy, filter } = args.inputs as {
    dy: tf.TensorInfo;
    filter: tf.TensorInfo;
  };
  const { pad, sh, sw, inputShape } = checkedAttrs(
    "Conv2DBackpropInput",
    args.attrs,
  );
  const [b, h, w] = inputShape;
  const [kh, kw, , co] = filter.shape;
  const [ho, wo] = [dy.shape[1], dy.shape[2]];
  const run = new KernelRunner(args.backend);

  // ẑ: s − 1 zeros after every row and column of dy.
  // [b, Ho, Wo, co] → [b·Ho, 1, Wo, 1, co] → [b·Ho, sh, Wo, sw, co]
  // → [b, Ho·sh, Wo·sw, co]
  let z = dy;
  if (sh > 1 || sw > 1) {
    const spread = run.temp("PadV2", { x: view(dy, [b * ho, 1, wo, 1, co]) }, {
      paddings: [[0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
      constantValue: 0,
    });
    z = view(spread, [b, ho * sh, wo * sw, co]);
  }

  // dx[r] reads ẑ rows r + top − (k − 1) … r + top; rows past ẑ's end are
  // zeros (padding after), rows of ẑ past the last one read are cut off.
  const rows = axisPadding(pad, h, kh, sh);
  const cols = axisPadding(pad, w, kw, sw);
  const top = kh - 1 - rows.before;
  const left = kw - 1 - cols.before;
  const bottom = h + kh - 1 - top - ho * sh;
  const right = w + kw - 1 - left - wo * sw;
  if (bottom < 0 || right < 0) {
    z = run.temp("Slice", { x: z }, {
      begin: [0, 0, 0, 0],
      size: [
        b,
        ho * sh + Math.min(0, bottom),
        wo * sw + Math.min(0, right),
        co,
      ],
    });
  }

  // w [k, k, ci, co] → flipped in space → [k, k, co, ci].
  const flipped = run.temp("Reverse", { x: filter }, { dims: [0, 1] });
  const wt = run.temp("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] });
  const dx = run.result("Conv2D", { x: z, filter: wt }, {
    strides: [1, 1],
    pad: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [
      0,
      0,
    ]],
    dataFormat: "NHWC",
    dilations: [1, 1],
  });
  run.release();
  return dx;
}

for (
  const [kernelName, kernelFunc] of [
    ["Conv2DBackpropFilter", conv2dBackpropFilter],
    ["Conv2DBackpropInput", conv2dBackpropInput],
  ] as const
) {
  const current = tf.getKernel(kernelName, BACKEND);
  if (current?.kernelFunc === kernelFunc) continue;
  // Unregister first: registering over a kernel logs a warning.
  if (current) tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({
    kernelName,
    backendName: BACKEND,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
}
