/**
 * webgan: train generative adversarial networks (Goodfellow et al. 2014,
 * https://arxiv.org/abs/1406.2661) in Deno, on WebGPU or the CPU, and see
 * why they succeed or fail.
 *
 * The API mirrors the command-line tasks: load a dataset, pick a preset,
 * train, sample from the saved generator, and evaluate it. Library code
 * never prints; training reports progress through `onEvent`.
 *
 * @example Train a short run and sample from it
 * ```ts ignore
 * import { applyOverrides, getPreset, loadGenerator, train } from "./mod.ts";
 *
 * const config = applyOverrides(getPreset("paper-mnist"), ["steps=200"]);
 * const { paths } = await train(config, {
 *   onEvent: (e) => {
 *     if (e.type === "progress") console.log(e.step, e.metrics.gLoss);
 *   },
 * });
 * const generator = await loadGenerator(paths.root);
 * const images = await generator.sampleArray(16, { seed: 1 }); // 16 × 784
 * generator.dispose();
 * ```
 *
 * Run directly, `mod.ts` dispatches the same commands as the tasks:
 * `deno run -A mod.ts train --steps 20`.
 *
 * @module
 */

export {
  BACKEND_REQUESTS,
  type BackendInfo,
  type BackendName,
  type BackendRequest,
  selectBackend,
  type SelectOptions,
} from "./src/backend/select.ts";
export type {
  NamedTensorMap,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor4D,
  Variable,
} from "./src/backend/tf.ts";
export { UserError };
export {
  BatchSampler,
  type CifarBatch,
  type DataEvent,
  type Dataset,
  DATASET_NAMES,
  type DatasetName,
  type DatasetSpec,
  datasetSpec,
  ensureDataset,
  type EnsureOptions,
  type EnsureResult,
  type FileRole,
  type FileSpec,
  type FileStatus,
  type IdxData,
  loadDataset,
  type LoadOptions,
  type OfflineSpec,
  parseCifarBatch,
  parseIdx,
  type PixelRange,
  type Provenance,
  type SamplerState,
  type SourceName,
  type Split,
  type VerifiedFile,
} from "./src/data/dataset.ts";
export { Rng, type RngState } from "./src/util/rng.ts";
export type { ApplyContext, GanPair, Net } from "./src/models/net.ts";
export {
  buildModels,
  type BuildOptions,
  type ImageShape,
  type ModelConfig,
  validateModel,
} from "./src/models/registry.ts";
export type { Activation, PaperMlpConfig } from "./src/models/paper_mlp.ts";
export type {
  LogitActivation,
  ReferenceMlpConfig,
} from "./src/models/reference_mlp.ts";
export type { ReferenceConvConfig } from "./src/models/reference_conv.ts";
export {
  applyOverrides,
  type GeneratorLoss,
  type NoiseKind,
  type TrainConfig,
  type UpdateOrder,
  validateConfig,
} from "./src/train/config.ts";
export type {
  AdamConfig,
  Optimizer,
  OptimizerConfig,
  SgdConfig,
} from "./src/train/optimizers.ts";
export { DEFAULT_PRESET, getPreset, PRESETS } from "./src/train/presets.ts";
export {
  GanSession,
  type SessionState,
  type StepMetrics,
} from "./src/train/session.ts";
export type { RunPaths } from "./src/train/run_folder.ts";
export {
  COLLAPSE_THRESHOLDS,
  type CoverageCheck,
  isCollapsed,
} from "./src/train/coverage.ts";
export {
  train,
  type TrainEvent,
  type TrainOptions,
  type TrainResult,
} from "./src/train/train.ts";
export {
  type InterpolateOptions,
  type LoadedGenerator,
  loadGenerator,
  type LoadGeneratorOptions,
  type SampleOptions,
} from "./src/train/sampling.ts";
export {
  parzenEvaluate,
  type ParzenEvaluateOptions,
  parzenLogLikelihood,
  type ParzenOptions,
  type ParzenProgress,
  type ParzenResult,
  type SigmaScore,
} from "./src/eval/parzen.ts";
export {
  type BinRange,
  type BinSpec,
  histogram,
  jsDivergence,
  klDivergence,
  normalize,
} from "./src/eval/divergence.ts";
export {
  modeCoverage,
  type ModeCoverageOptions,
  type ModeReport,
} from "./src/eval/modes.ts";
export { frechetDistance, type FrechetOptions } from "./src/eval/frechet.ts";
export {
  type Classifier,
  type ClassifierInfo,
  type ClassifierOutput,
  type ClassifierProgress,
  type ClassifyOptions,
  loadOrTrainClassifier,
  type LoadOrTrainOptions,
  type TrainClassifierOptions,
} from "./src/eval/classifier.ts";
export {
  type GaussianLaw,
  type LogisticGenerator,
  type OptimalDiscriminatorOptions,
  type OptimalDiscriminatorResult,
  renderOptimalDiscriminatorPng,
  runOptimalDiscriminatorExperiment,
} from "./src/eval/optimal_discriminator.ts";
export { imageGrid, type ImageGridOptions } from "./src/io/grid.ts";
export { decodePng, encodePng, type RasterImage } from "./src/io/png.ts";
export { decodeNpy, encodeNpy, type NpyArray } from "./src/io/npy.ts";
import { VERSION } from "./src/version.ts";
import { UserError } from "./src/cli/errors.ts";
export { VERSION };

/** The commands `mod.ts` dispatches when run directly. */
const COMMANDS: Record<string, string> = {
  train: "train a GAN and write a run folder",
  download: "fetch and verify a dataset",
  sample: "draw samples from a saved generator",
  evaluate: "score a run: Parzen log-likelihood and mode coverage",
  "optimal-d": "the 1-D optimal-discriminator experiment",
  bench: "time training steps on each backend",
};

const USAGE = `webgan ${VERSION}: generative adversarial networks in Deno

usage: webgan <command> [options]    (each command takes --help)

commands:
${
  Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(10)} ${d}`).join(
    "\n",
  )
}`;

async function dispatch(args: string[]): Promise<number | void> {
  const [command, ...rest] = args;
  switch (command) {
    case "train":
      return await (await import("./tasks/train.ts")).main(rest);
    case "download":
      return await (await import("./tasks/download.ts")).main(rest);
    case "sample":
      return await (await import("./tasks/sample.ts")).main(rest);
    case "evaluate":
      return await (await import("./tasks/evaluate.ts")).main(rest);
    case "optimal-d":
      return await (await import("./tasks/optimal_d.ts")).main(rest);
    case "bench":
      return await (await import("./tasks/bench.ts")).main(rest);
    case undefined:
    case "-h":
    case "--help":
    case "help":
      // deno-lint-ignore no-console
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UserError(
        `unknown command "${command}"; expected one of ${
          Object.keys(COMMANDS).join(", ")
        }`,
      );
  }
}

if (import.meta.main) {
  const { runTask } = await import("./tasks/_terminal.ts");
  await runTask(() => dispatch(Deno.args));
}
