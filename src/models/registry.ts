/**
 * Every model family webgan can train, and one function that builds any of
 * them from its config.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import type { GanPair } from "./net.ts";
import { buildPaperMlp, type PaperMlpConfig } from "./paper_mlp.ts";

/** The config of any model family, told apart by `kind`. */
export type ModelConfig = PaperMlpConfig;

/** The image geometry a model is built for. */
export interface ImageShape {
  height: number;
  width: number;
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
  }
}

/** The noise dimension of `config`. */
export function noiseDim(config: ModelConfig): number {
  return config.noiseDim;
}

function logit(mean: Float32Array): Float32Array {
  return mean.map((m) => {
    const p = Math.min(1 - 1e-3, Math.max(1e-3, m));
    return Math.log(p / (1 - p));
  });
}
