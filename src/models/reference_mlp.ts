/**
 * The fully connected generator and discriminator of the PyTorch reference
 * this project follows (its MLP variant, for MNIST). They play the game of
 * Goodfellow et al. 2014, "Generative Adversarial Networks"
 * (https://arxiv.org/abs/1406.2661), whose value function (Eq. 1) is
 *   min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))].
 *
 * Symbols map to names here as: z → `noise` (`noiseDim` wide), G →
 * `generator`, D → `discriminator`, x → flat image rows. D returns the
 * logit of D(x); the reference's final sigmoid lives in the loss.
 *
 * The reference's networks, each hidden layer followed by LeakyReLU 0.2:
 *
 *   G: z (100) → 128 → 256 → 512 → 1024 → pixels (784) → tanh
 *   D: x (784) → 512 → 256 → 1 → logit
 *
 * `logitActivation: "leaky-relu"` puts one more LeakyReLU on D's logit,
 * before the sigmoid, as the reference's mode-collapse run did: D(x) =
 * σ(LeakyReLU(a)) can then fall below ½ only slowly, by the slope.
 * Weights and biases start from PyTorch's default initialisation.
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import type { Rng } from "../util/rng.ts";
import { Dense, type WeightOptions } from "./layers.ts";
import type { ApplyContext, GanPair, Net } from "./net.ts";

/** What is applied to D's logit before the sigmoid in the loss. */
export type LogitActivation = "linear" | "leaky-relu";

/** Every accepted {@linkcode LogitActivation}. */
export const LOGIT_ACTIVATIONS: readonly LogitActivation[] = [
  "linear",
  "leaky-relu",
];

/** The shape of the reference's MLP G and D. */
export interface ReferenceMlpConfig {
  /** The family: the reference's MLP. */
  kind: "reference-mlp";
  /** Dimension of z. */
  noiseDim: number;
  /** G's hidden layer widths. */
  generatorHidden: number[];
  /** D's hidden layer widths. */
  discriminatorHidden: number[];
  /** LeakyReLU's slope for negative inputs, in both networks. */
  leak: number;
  /** `linear` for a plain logit, `leaky-relu` for the mode-collapse run. */
  logitActivation: LogitActivation;
}

const TORCH: WeightOptions = { init: { kind: "torch" }, biasLikeWeights: true };

function denseStack(rng: Rng, widths: number[]): Dense[] {
  return widths.slice(1).map((units, i) =>
    new Dense(rng, [widths[i], units], TORCH)
  );
}

/** Dense layers with LeakyReLU between them; the last one left linear. */
class LeakyMlp implements Net {
  readonly layers: Dense[];
  readonly leak: number;
  readonly buffers: tf.Variable[] = [];
  readonly rowIndependent = true;
  readonly #output: (x: tf.Tensor) => tf.Tensor;

  constructor(
    rng: Rng,
    widths: number[],
    options: { leak: number; output: (x: tf.Tensor) => tf.Tensor },
  ) {
    this.layers = denseStack(rng, widths);
    this.leak = options.leak;
    this.#output = options.output;
  }

  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables);
  }

  apply(x: tf.Tensor2D, context: ApplyContext): tf.Tensor2D {
    void context;
    const last = this.layers.length - 1;
    let h: tf.Tensor = x;
    this.layers.forEach((layer, i) => {
      h = layer.apply(h);
      if (i < last) h = tf.leakyRelu(h, this.leak);
    });
    return this.#output(h) as tf.Tensor2D;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * Build the reference's MLP G and D.
 *
 * @param rng Draws every initial weight.
 * @param config The layer widths, slope and logit activation.
 * @param pixels Values per flat image.
 */
export function buildReferenceMlp(
  rng: Rng,
  config: ReferenceMlpConfig,
  pixels: number,
): GanPair {
  const { leak } = config;
  const generator = new LeakyMlp(
    rng,
    [config.noiseDim, ...config.generatorHidden, pixels],
    { leak, output: (x) => tf.tanh(x) },
  );
  const discriminator = new LeakyMlp(
    rng,
    [pixels, ...config.discriminatorHidden, 1],
    {
      leak,
      output: config.logitActivation === "leaky-relu"
        ? (x) => tf.leakyRelu(x, leak)
        : (x) => x,
    },
  );
  return { generator, discriminator };
}
