/**
 * The layers webgan's networks are built from. Each owns its variables and
 * exposes a forward pass; gradients come from tfjs autodiff, with the MatMul
 * gradient replaced by a faster one in `../backend/gradients.ts`.
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import { dropoutMask, type Rng } from "../util/rng.ts";
import type { ApplyContext } from "./net.ts";
// Registers fast conv gradient kernels on the wasm backend.

/** How a weight tensor is initialised. */
export type Init =
  | { kind: "uniform"; range: number }
  | { kind: "torch" }
  | { kind: "normal"; std: number };

/** A forward-pass unit with its own variables. */
export interface Layer {
  /** Trainable variables. */
  readonly variables: tf.Variable[];
  /** Non-trainable state. */
  readonly buffers: tf.Variable[];
  /** Forward pass. */
  apply(x: tf.Tensor, context: ApplyContext): tf.Tensor;
}

function initValues(
  rng: Rng,
  shape: number[],
  init: Init,
  fanIn: number,
): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let values: Float32Array;
  if (init.kind === "uniform") {
    values = rng.uniform(n, -init.range, init.range);
  } else if (init.kind === "torch") {
    // PyTorch's default for Linear/Conv: kaiming_uniform(a=√5) gives
    // U(-1/√fan_in, 1/√fan_in), the same bound it uses for the bias.
    const bound = 1 / Math.sqrt(fanIn);
    values = rng.uniform(n, -bound, bound);
  } else {
    values = rng.normal(n).map((v) => v * init.std);
  }
  return tf.tensor(values, shape);
}

/** A variable holding `value`, which is released (no stray tensor). */
function variable(
  value: tf.Tensor,
  name: string,
  trainable = true,
): tf.Variable {
  const v = tf.variable(value, trainable, `${name}_${crypto.randomUUID()}`);
  value.dispose();
  return v;
}

/** Options shared by weight layers. */
export interface WeightOptions {
  /** Weight initialisation. */
  init: Init;
  /** Bias initialisation; a number or per-unit values. @default {0} */
  bias?: number | Float32Array;
  /** Bias initialised like the weights, as PyTorch does. @default {false} */
  biasLikeWeights?: boolean;
}

function biasValues(
  rng: Rng,
  units: number,
  fanIn: number,
  options: WeightOptions,
): tf.Tensor {
  if (options.biasLikeWeights) {
    return initValues(rng, [units], options.init, fanIn);
  }
  const b = options.bias ?? 0;
  return typeof b === "number" ? tf.fill([units], b) : tf.tensor1d(b);
}

/** A fully connected layer, `y = x W + b`. */
export class Dense implements Layer {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  readonly buffers: tf.Variable[] = [];

  /**
   * @param rng Draws the initial weights.
   * @param shape `[inputs, units]`.
   */
  constructor(rng: Rng, shape: [number, number], options: WeightOptions) {
    const [inputs, units] = shape;
    this.w = variable(initValues(rng, shape, options.init, inputs), "w");
    this.b = variable(biasValues(rng, units, inputs, options), "b");
  }

  get variables(): tf.Variable[] {
    return [this.w, this.b];
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.w as tf.Tensor2D), this.b);
  }
}

/**
 * A maxout layer (Goodfellow et al., 2013): `units` groups of `pieces`
 * linear pieces, each unit the maximum of its pieces.
 */
export class Maxout implements Layer {
  readonly linear: Dense;
  readonly units: number;
  readonly pieces: number;
  readonly buffers: tf.Variable[] = [];

  /**
   * @param rng Draws the initial weights.
   * @param shape `[inputs, units, pieces]`.
   */
  constructor(
    rng: Rng,
    shape: [number, number, number],
    options: WeightOptions,
  ) {
    const [inputs, units, pieces] = shape;
    this.units = units;
    this.pieces = pieces;
    this.linear = new Dense(rng, [inputs, units * pieces], options);
  }

  get variables(): tf.Variable[] {
    return this.linear.variables;
  }

  apply(x: tf.Tensor, context: ApplyContext): tf.Tensor {
    const z = this.linear.apply(x);
    // [batch, units·pieces] → [batch, units, pieces]; pieces are adjacent.
    const grouped = tf.reshape(z, [-1, this.units, this.pieces]);
    void context;
    return tf.max(grouped, 2);
  }
}

/** Options for {@linkcode dropout}. */
export interface DropoutOptions {
  /** Probability of keeping a unit. */
  keep: number;
  /**
   * Factor applied to kept units. @default {1 / keep} (inverted dropout)
   */
  scale?: number;
}

/** Dropout: zero each unit with probability `1 − keep` while training. */
export function dropout(
  x: tf.Tensor,
  context: ApplyContext,
  options: DropoutOptions,
): tf.Tensor {
  const { keep } = options;
  if (!context.training || keep >= 1) return x;
  if (!context.seed) throw new Error("dropout needs a seed while training");
  const scale = options.scale ?? 1 / keep;
  const mask = dropoutMask(x.size, context.seed(), { keep, scale });
  return tf.mul(x, tf.tensor(mask, x.shape));
}

/**
 * Batch normalisation over every axis but the last (Ioffe and Szegedy,
 * 2015), with running statistics for evaluation.
 */
export class BatchNorm implements Layer {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly momentum: number;
  readonly epsilon: number;

  /**
   * @param channels Size of the last axis.
   * @param options `momentum` for the running averages (PyTorch's sense,
   *   @default {0.1}) and `epsilon` (@default {1e-5}).
   */
  constructor(
    channels: number,
    options: { momentum?: number; epsilon?: number } = {},
  ) {
    this.gamma = variable(tf.ones([channels]), "gamma");
    this.beta = variable(tf.zeros([channels]), "beta");
    this.runningMean = variable(tf.zeros([channels]), "mean", false);
    this.runningVar = variable(tf.ones([channels]), "var", false);
    this.momentum = options.momentum ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-5;
  }

  get variables(): tf.Variable[] {
    return [this.gamma, this.beta];
  }

  get buffers(): tf.Variable[] {
    return [this.runningMean, this.runningVar];
  }

  apply(x: tf.Tensor, context: ApplyContext): tf.Tensor {
    if (!context.training) {
      return tf.batchNorm(
        x,
        this.runningMean,
        this.runningVar,
        this.beta,
        this.gamma,
        this.epsilon,
      );
    }
    const axes = x.shape.map((_, i) => i).slice(0, -1);
    const { mean, variance } = tf.moments(x, axes);
    this.#track(mean, variance, x.size / x.shape[x.shape.length - 1]);
    const normed = tf.div(
      tf.sub(x, mean),
      tf.sqrt(tf.add(variance, this.epsilon)),
    );
    return tf.add(tf.mul(normed, this.gamma), this.beta);
  }

  #track(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const m = this.momentum;
    const unbiased = n > 1 ? n / (n - 1) : 1;
    tf.tidy(() => {
      // Running averages are off the loss's path, so autodiff ignores them.
      const mu = mean;
      const va = variance;
      this.runningMean.assign(
        tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mu, m)),
      );
      this.runningVar.assign(
        tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(va, m * unbiased)),
      );
    });
  }
}

/** Options for {@linkcode Conv2d} and {@linkcode Conv2dTranspose}. */
export interface ConvOptions extends WeightOptions {
  /** Side of the square kernel. */
  kernel: number;
  /**
   * Step between windows (Conv2d), or upsampling factor (transposed).
   * @default {1}
   */
  stride?: number;
}

/**
 * A 2-D convolution over NHWC images with "same" padding: `[b, h, w, in]`
 * → `[b, ⌈h/s⌉, ⌈w/s⌉, out]`. The filter is `[k, k, in, out]`.
 */
export class Conv2d implements Layer {
  /** The filter, `[k, k, in, out]`. */
  readonly w: tf.Variable;
  /** The bias, `[out]`. */
  readonly b: tf.Variable;
  /** Step between windows. */
  readonly stride: number;
  /** None. */
  readonly buffers: tf.Variable[] = [];

  /**
   * Create a convolution with freshly drawn weights.
   *
   * @param rng Draws the initial weights.
   * @param channels `[in, out]`.
   * @param options Kernel side, stride and initialisation.
   */
  constructor(rng: Rng, channels: [number, number], options: ConvOptions) {
    const [cin, cout] = channels;
    const k = options.kernel;
    this.stride = options.stride ?? 1;
    const fanIn = cin * k * k;
    this.w = variable(
      initValues(rng, [k, k, cin, cout], options.init, fanIn),
      "conv_w",
    );
    this.b = variable(biasValues(rng, cout, fanIn, options), "conv_b");
  }

  /** The filter and the bias. */
  get variables(): tf.Variable[] {
    return [this.w, this.b];
  }

  /** Convolve `x`, `[b, h, w, in]`. */
  apply(x: tf.Tensor): tf.Tensor {
    const y = tf.conv2d(
      x as tf.Tensor4D,
      this.w as tf.Tensor4D,
      this.stride,
      "same",
    );
    return tf.add(y, this.b);
  }
}

/**
 * A 2-D transposed convolution over NHWC images with "same" padding, the
 * gradient of {@linkcode Conv2d} with respect to its input: `[b, h, w, in]`
 * → `[b, h·s, w·s, out]`. The filter is `[k, k, out, in]`, as tfjs wants.
 *
 * Initialisation follows PyTorch's `ConvTranspose2d`, whose weight is
 * `[in, out, k, k]` and whose fan-in is therefore taken as `out·k·k`.
 */
export class Conv2dTranspose implements Layer {
  /** The filter, `[k, k, out, in]`. */
  readonly w: tf.Variable;
  /** The bias, `[out]`. */
  readonly b: tf.Variable;
  /** Upsampling factor. */
  readonly stride: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** None. */
  readonly buffers: tf.Variable[] = [];

  /**
   * Create a transposed convolution with freshly drawn weights.
   *
   * @param rng Draws the initial weights.
   * @param channels `[in, out]`.
   * @param options Kernel side, upsampling factor and initialisation.
   */
  constructor(rng: Rng, channels: [number, number], options: ConvOptions) {
    const [cin, cout] = channels;
    const k = options.kernel;
    this.stride = options.stride ?? 1;
    this.outChannels = cout;
    const fanIn = cout * k * k;
    this.w = variable(
      initValues(rng, [k, k, cout, cin], options.init, fanIn),
      "deconv_w",
    );
    this.b = variable(biasValues(rng, cout, fanIn, options), "deconv_b");
  }

  /** The filter and the bias. */
  get variables(): tf.Variable[] {
    return [this.w, this.b];
  }

  /** Upsample `x`, `[b, h, w, in]`. */
  apply(x: tf.Tensor): tf.Tensor {
    const [b, h, w] = x.shape;
    const s = this.stride;
    const y = tf.conv2dTranspose(
      x as tf.Tensor4D,
      this.w as tf.Tensor4D,
      [b, h * s, w * s, this.outChannels],
      s,
      "same",
    );
    return tf.add(y, this.b);
  }
}
