/**
 * Every model family webgan can train, one function that builds any of
 * them from its config, and one that checks a config's values.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import type { Rng } from "../util/rng.ts";
import type { GanPair } from "./net.ts";
import { buildPaperMlp, type PaperMlpConfig } from "./paper_mlp.ts";
import {
  buildReferenceConv,
  type ReferenceConvConfig,
} from "./reference_conv.ts";
import {
  buildReferenceMlp,
  LOGIT_ACTIVATIONS,
  type ReferenceMlpConfig,
} from "./reference_mlp.ts";

/** The config of any model family, told apart by `kind`. */
export type ModelConfig =
  | PaperMlpConfig
  | ReferenceConvConfig
  | ReferenceMlpConfig;

/** Every model `kind`. */
export const MODEL_KINDS: readonly ModelConfig["kind"][] = [
  "paper-mlp",
  "reference-conv",
  "reference-mlp",
];

/** The image geometry a model is built for. */
export interface ImageShape {
  /** Rows of pixels. */
  height: number;
  /** Columns of pixels. */
  width: number;
  /** Values per pixel: 1 for grey, 3 for colour. */
  channels: number;
}

/** Options for {@linkcode buildModels}. */
export interface BuildOptions {
  /** The images G makes and D judges. */
  image: ImageShape;
  /**
   * Mean training image (flat, in the model's data range), for models that
   * start G's output bias at it.
   */
  meanImage?: Float32Array;
}

/**
 * Build G and D for `config`.
 *
 * @param rng Draws every initial weight, so a seed fixes the initialisation.
 * @throws {UserError} When the image does not fit the model.
 */
export function buildModels(
  rng: Rng,
  config: ModelConfig,
  options: BuildOptions,
): GanPair {
  const { height, width, channels } = options.image;
  const pixels = height * width * channels;
  switch (config.kind) {
    case "paper-mlp":
      return buildPaperMlp(rng, config, {
        pixels,
        outputBias: config.generatorOutput === "sigmoid" && options.meanImage
          ? logit(options.meanImage)
          : undefined,
      });
    case "reference-conv":
      return buildReferenceConv(rng, config, { height, width, channels });
    case "reference-mlp":
      return buildReferenceMlp(rng, config, pixels);
  }
}

/** The noise dimension of `config`. */
export function noiseDim(config: ModelConfig): number {
  return config.noiseDim;
}

function logit(mean: Float32Array): Float32Array {
  return mean.map((m) => {
    // pylearn2's init_sigmoid_bias_from_marginals clips the mean to
    // [1e-7, 1 − 1e-7], so pixels never lit in the data start dead.
    const p = Math.min(1 - 1e-7, Math.max(1e-7, m));
    return Math.log(p / (1 - p));
  });
}

/** Checks on the fields of one model config, by field name. */
class ModelChecker {
  readonly config: Record<string, unknown>;

  constructor(config: ModelConfig) {
    this.config = config as unknown as Record<string, unknown>;
  }

  #fail(key: string, expected: string): never {
    const value = JSON.stringify(this.config[key]);
    throw new UserError(`model.${key} must be ${expected}; got ${value}`);
  }

  /** An integer ≥ `min`. */
  int(key: string, min: number): void {
    const v = this.config[key];
    if (!Number.isInteger(v) || (v as number) < min) {
      this.#fail(key, `an integer ≥ ${min}`);
    }
  }

  /** A number in the interval `lo`–`hi`, each end open or closed. */
  range(key: string, lo: number, hi: number, closed: [boolean, boolean]) {
    const v = this.config[key];
    const ok = typeof v === "number" && Number.isFinite(v) &&
      (closed[0] ? v >= lo : v > lo) && (closed[1] ? v <= hi : v < hi);
    if (!ok) {
      const open = `${closed[0] ? "[" : "("}${lo}, ${hi}${
        closed[1] ? "]" : ")"
      }`;
      this.#fail(key, `a number in ${open}`);
    }
  }

  /** A list of integers ≥ 1, with at least `min` entries. */
  widths(key: string, min: number): void {
    const v = this.config[key];
    const ok = Array.isArray(v) && v.length >= min &&
      v.every((u) => Number.isInteger(u) && u >= 1);
    if (!ok) {
      this.#fail(key, `a JSON array of at least ${min} integers ≥ 1`);
    }
  }

  /** One of `choices`. */
  choice(key: string, choices: readonly unknown[]): void {
    if (!choices.includes(this.config[key])) {
      this.#fail(key, `one of ${choices.join("|")}`);
    }
  }

  /** A boolean. */
  flag(key: string): void {
    if (typeof this.config[key] !== "boolean") this.#fail(key, "true|false");
  }
}

const PAPER_ACTIVATIONS = ["relu", "sigmoid", "linear", "tanh"];

/**
 * Check that every field of a model config is in range, including the
 * elements of JSON arrays, which `--set` parses without looking inside.
 *
 * @throws {UserError} Naming the first field that is not.
 */
export function validateModel(config: ModelConfig): void {
  const c = new ModelChecker(config);
  c.choice("kind", MODEL_KINDS);
  c.int("noiseDim", 1);
  switch (config.kind) {
    case "paper-mlp": {
      c.widths("generatorHidden", 0);
      const acts = config.generatorActivations;
      if (
        !Array.isArray(acts) ||
        acts.length !== config.generatorHidden.length ||
        !acts.every((a) => PAPER_ACTIVATIONS.includes(a))
      ) {
        throw new UserError(
          `model.generatorActivations must hold one of ` +
            `${PAPER_ACTIVATIONS.join("|")} per generatorHidden layer ` +
            `(${config.generatorHidden.length}); got ${JSON.stringify(acts)}`,
        );
      }
      c.choice("generatorOutput", PAPER_ACTIVATIONS);
      c.range("generatorInitRange", 0, Infinity, [false, false]);
      const maxout = config.discriminatorMaxout;
      const pairs = Array.isArray(maxout) &&
        maxout.every((p) =>
          Array.isArray(p) && p.length === 2 &&
          p.every((u) => Number.isInteger(u) && u >= 1)
        );
      if (!pairs) {
        throw new UserError(
          `model.discriminatorMaxout must be a JSON array of [units, ` +
            `pieces] integer pairs; got ${JSON.stringify(maxout)}`,
        );
      }
      c.range("discriminatorInitRange", 0, Infinity, [false, false]);
      c.range("inputKeep", 0, 1, [false, true]);
      c.range("hiddenKeep", 0, 1, [false, true]);
      c.range("maxColumnNorm", 0, Infinity, [true, false]);
      return;
    }
    case "reference-conv":
      c.int("generatorStartChannels", 1);
      c.widths("generatorChannels", 0);
      c.widths("discriminatorChannels", 0);
      c.int("kernel", 1);
      c.range("leak", 0, 1, [true, true]);
      c.range("dropoutKeep", 0, 1, [false, true]);
      c.flag("generatorBatchNorm");
      c.flag("discriminatorBatchNorm");
      c.flag("discriminatorLogitBatchNorm");
      return;
    case "reference-mlp":
      c.widths("generatorHidden", 0);
      c.widths("discriminatorHidden", 0);
      c.range("leak", 0, 1, [true, true]);
      c.choice("logitActivation", LOGIT_ACTIVATIONS);
      return;
  }
}
