/**
 * The fully connected generator and maxout discriminator of
 * Goodfellow et al. 2014, "Generative Adversarial Networks"
 * (https://arxiv.org/abs/1406.2661), as configured in the authors' code
 * (goodfeli/adversarial, `mnist.yaml` and `cifar10_fc.yaml`).
 *
 * The paper's value function (its Eq. 1) is
 *   min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))].
 * Symbols map to names here as: z → `noise`, G → `generator`,
 * D → `discriminator`, x → flat image rows. D returns the logit of D(x);
 * the sigmoid lives in the loss, where it is computed stably.
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import type { Rng } from "../util/rng.ts";
import { Dense, dropout, Maxout } from "./layers.ts";
import type { ApplyContext, GanPair, Net } from "./net.ts";

/** Hidden activation for G's layers. */
export type Activation = "relu" | "sigmoid" | "linear" | "tanh";

/** The shape of the paper's MLP generator and maxout discriminator. */
export interface PaperMlpConfig {
  /** Selects the paper's MLP generator and maxout discriminator. */
  kind: "paper-mlp";
  /** Dimension of z. */
  noiseDim: number;
  /** G's hidden layer widths. */
  generatorHidden: number[];
  /** G's activation after each hidden layer. */
  generatorActivations: Activation[];
  /** G's output activation: sigmoid for [0,1] pixels, linear for GCN data. */
  generatorOutput: Activation;
  /** Half-width of G's uniform initial weights. */
  generatorInitRange: number;
  /** D's maxout layers as `[units, pieces]`. */
  discriminatorMaxout: [number, number][];
  /** Half-width of D's uniform initial weights. */
  discriminatorInitRange: number;
  /** Probability of keeping each input pixel of D. */
  inputKeep: number;
  /** Probability of keeping each hidden unit of D. */
  hiddenKeep: number;
  /** Upper bound on the L2 norm of each column of D's weights, or 0. */
  maxColumnNorm: number;
}

const ACTIVATIONS: Record<Activation, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  linear: (x) => x,
};

/** G: z → dense → ... → flat image. */
class PaperGenerator implements Net {
  readonly layers: Dense[];
  readonly activations: Activation[];
  readonly buffers: tf.Variable[] = [];

  constructor(
    rng: Rng,
    config: PaperMlpConfig,
    shape: { pixels: number; outputBias?: Float32Array },
  ) {
    const init = { kind: "uniform", range: config.generatorInitRange } as const;
    const widths = [config.noiseDim, ...config.generatorHidden, shape.pixels];
    this.layers = widths.slice(1).map((units, i) => {
      const last = i === widths.length - 2;
      return new Dense(rng, [widths[i], units], {
        init,
        bias: last ? shape.outputBias : 0,
      });
    });
    this.activations = [...config.generatorActivations, config.generatorOutput];
  }

  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables);
  }

  apply(z: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor = z;
    this.layers.forEach((layer, i) => {
      h = ACTIVATIONS[this.activations[i]](layer.apply(h));
    });
    return h as tf.Tensor2D;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** D: dropout → maxout → dropout → maxout → dropout → sigmoid unit. */
class PaperDiscriminator implements Net {
  readonly hidden: Maxout[];
  readonly output: Dense;
  readonly config: PaperMlpConfig;
  readonly buffers: tf.Variable[] = [];
  /** Dropout masks are drawn per element: rows stay independent. */
  readonly rowIndependent = true;

  constructor(rng: Rng, config: PaperMlpConfig, pixels: number) {
    this.config = config;
    const init = {
      kind: "uniform",
      range: config.discriminatorInitRange,
    } as const;
    let inputs = pixels;
    this.hidden = config.discriminatorMaxout.map(([units, pieces]) => {
      const layer = new Maxout(rng, [inputs, units, pieces], { init });
      inputs = units;
      return layer;
    });
    this.output = new Dense(rng, [inputs, 1], { init });
  }

  get variables(): tf.Variable[] {
    return [
      ...this.hidden.flatMap((l) => l.variables),
      ...this.output.variables,
    ];
  }

  apply(x: tf.Tensor2D, context: ApplyContext): tf.Tensor2D {
    // mnist.yaml keeps 0.8 of the input and 0.5 of each hidden layer, and
    // rescales what it keeps by 1.25 and 2: inverted dropout.
    let h: tf.Tensor = dropout(x, context, { keep: this.config.inputKeep });
    for (const layer of this.hidden) {
      h = layer.apply(h, context);
      h = dropout(h, context, { keep: this.config.hiddenKeep });
    }
    return this.output.apply(h) as tf.Tensor2D;
  }

  constrain(): void {
    const limit = this.config.maxColumnNorm;
    if (limit <= 0) return;
    const weights = [...this.hidden.map((l) => l.linear.w), this.output.w];
    clipColumnNorms(weights, limit);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * Build the paper's generator and discriminator.
 *
 * @param rng Draws every initial weight.
 * @param config The layer sizes and initialisation.
 * @param shape `pixels` per image, and G's output bias (the paper starts it
 *   at the logit of the mean training pixel so that G starts at the mean).
 */
export function buildPaperMlp(
  rng: Rng,
  config: PaperMlpConfig,
  shape: { pixels: number; outputBias?: Float32Array },
): GanPair {
  return {
    generator: new PaperGenerator(rng, config, shape),
    discriminator: new PaperDiscriminator(rng, config, shape.pixels),
  };
}

/**
 * Rescale each column of each weight matrix whose L2 norm exceeds `limit`
 * back onto the ball, as pylearn2's `max_col_norm` does after every update.
 */
export function clipColumnNorms(weights: tf.Variable[], limit: number): void {
  tf.tidy(() => {
    for (const w of weights) {
      const norms = tf.sqrt(tf.sum(tf.square(w), 0, true));
      const scale = tf.div(limit, tf.maximum(norms, limit));
      w.assign(tf.mul(w, scale));
    }
  });
}
