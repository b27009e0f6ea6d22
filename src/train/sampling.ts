/**
 * Drawing samples from a trained generator: rebuild G from a run folder's
 * `config.json`, load its weights from a checkpoint, and map noise z to
 * images. Only G is kept; D and the optimizer state are read (the manifest
 * covers the whole checkpoint) and dropped.
 *
 * Samples come back as flat rows, `[count, height·width·channels]`, each row
 * an image in row-major height × width × channels order, in the model's data
 * range (`[0, 1]` for `data.range` "unit", `[-1, 1]` for "symmetric").
 *
 * @module
 */
import { join } from "node:path";
import {
  type Tensor,
  type Tensor2D,
  tf,
  type Variable,
} from "../backend/tf.ts";
import { UserError } from "../cli/errors.ts";
import { datasetSpec } from "../data/spec.ts";
import type { Net } from "../models/net.ts";
import { buildModels, type ImageShape, noiseDim } from "../models/registry.ts";
import { Rng } from "../util/rng.ts";
import {
  type CheckpointData,
  checkpointName,
  listCheckpoints,
  readCheckpoint,
  readLatestCheckpoint,
} from "./checkpoint.ts";
import { type TrainConfig, validateConfig } from "./config.ts";
import { sampleNoise } from "./session.ts";

/** Rows of z pushed through G at once, to bound memory for large counts. */
const CHUNK = 1024;

/** Options for {@linkcode loadGenerator}. */
export interface LoadGeneratorOptions {
  /**
   * `"final"` for the newest intact checkpoint (the final one of a finished
   * run), or the step of a checkpoint.
   * @default {"final"}
   */
  checkpoint?: "final" | number;
  /**
   * Told about each newer checkpoint skipped because it failed its
   * manifest, when `checkpoint` is `"final"`. @default {none}
   */
  onSkip?: (step: number, reason: string) => void;
}

/** Options for drawing samples. */
export interface SampleOptions {
  /** Seed of the noise z; the same seed gives the same samples. @default {0} */
  seed?: number;
}

/** Options for {@linkcode LoadedGenerator.interpolate}. */
export interface InterpolateOptions {
  /** Images along each walk, ends included (≥ 2). @default {10} */
  frames?: number;
  /** Seed of the walks' end points. @default {0} */
  seed?: number;
}

/**
 * Read the resolved config saved in a run folder.
 *
 * @param runDir The run folder.
 * @returns The config the run was trained with.
 * @throws {UserError} When `config.json` is missing or not a valid config.
 */
export async function readRunConfig(runDir: string): Promise<TrainConfig> {
  const path = join(runDir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new UserError(`${path} not found; is ${runDir} a run folder?`);
  }
  let config: TrainConfig & { environment?: unknown };
  try {
    config = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not valid JSON`);
  }
  const { environment: _, ...rest } = config;
  // Run folders written before the field existed trained alternately.
  rest.updates ??= "alternating";
  validateConfig(rest);
  return rest;
}

/** The image shape of a dataset (MNIST 28×28×1, CIFAR-10 32×32×3). */
export function datasetImageShape(name: TrainConfig["dataset"]): ImageShape {
  const { height, width, channels } = datasetSpec(name);
  return { height, width, channels };
}

/** A generator restored from a checkpoint, ready to draw samples. */
export class LoadedGenerator {
  /** The config of the run it came from. */
  readonly config: TrainConfig;
  /** The step of the checkpoint its weights came from. */
  readonly step: number;
  /** The checkpoint folder its weights came from. */
  readonly checkpointPath: string;
  /** The images it makes. */
  readonly image: ImageShape;
  /** G itself. */
  readonly net: Net;

  /**
   * Wrap a generator whose weights are already loaded; see
   * {@linkcode loadGenerator}.
   */
  constructor(
    net: Net,
    from: { config: TrainConfig; step: number; checkpointPath: string },
  ) {
    this.net = net;
    this.config = from.config;
    this.step = from.step;
    this.checkpointPath = from.checkpointPath;
    this.image = datasetImageShape(from.config.dataset);
  }

  /** The dimension of z. */
  get noiseDim(): number {
    return noiseDim(this.config.model);
  }

  /** Values per image: height · width · channels. */
  get pixels(): number {
    return this.image.height * this.image.width * this.image.channels;
  }

  /** The value range of the images, for display: `[0, 1]` or `[-1, 1]`. */
  get range(): [number, number] {
    return this.config.data.range === "symmetric" ? [-1, 1] : [0, 1];
  }

  /**
   * Draw `count` z of the run's noise distribution.
   *
   * @returns `[count, noiseDim]` noise; the caller disposes it.
   */
  noise(count: number, options: SampleOptions = {}): Tensor2D {
    checkCount(count);
    return sampleNoise(
      this.config.noise,
      [count, this.noiseDim],
      options.seed ?? 0,
    );
  }

  /**
   * Map noise to images with G in evaluation mode (no dropout).
   *
   * @param z `[count, noiseDim]` noise.
   * @returns `[count, pixels]` images; the caller disposes them.
   */
  generate(z: Tensor2D): Tensor2D {
    const count = z.shape[0];
    return tf.tidy(() => {
      const parts: Tensor2D[] = [];
      for (let i = 0; i < count; i += CHUNK) {
        const rows = Math.min(CHUNK, count - i);
        const zi = z.slice([i, 0], [rows, z.shape[1]]);
        parts.push(this.net.apply(zi, { training: false }));
      }
      return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    });
  }

  /**
   * Draw `count` samples.
   *
   * @returns `[count, pixels]` images; the caller disposes them.
   */
  sample(count: number, options: SampleOptions = {}): Promise<Tensor2D> {
    const z = this.noise(count, options);
    try {
      return Promise.resolve(this.generate(z));
    } finally {
      z.dispose();
    }
  }

  /**
   * Draw `count` samples and read them back.
   *
   * @returns `count × pixels` values, one image after another.
   */
  async sampleArray(
    count: number,
    options: SampleOptions = {},
  ): Promise<Float32Array> {
    return await readAndDispose(await this.sample(count, options));
  }

  /**
   * Walk the latent space: for each of `walks` pairs of random z, decode
   * `frames` points evenly spaced on the straight line between them,
   * z_t = (1 − t)·z_a + t·z_b with t = 0, 1/(frames−1), …, 1. Linear
   * interpolation, not spherical: with uniform noise the midpoints sit a
   * little closer to the origin than the ends.
   *
   * @returns `walks × frames × pixels` values: walk after walk, and within
   *   a walk frame after frame.
   */
  async interpolate(
    walks: number,
    options: InterpolateOptions = {},
  ): Promise<Float32Array> {
    const frames = options.frames ?? 10;
    checkCount(walks);
    if (!Number.isInteger(frames) || frames < 2) {
      throw new UserError(`frames must be an integer ≥ 2; got ${frames}`);
    }
    const ends = this.noise(2 * walks, options);
    const images = tf.tidy(() => {
      const d = this.noiseDim;
      // [walks, 1, d] each: the two ends of every walk.
      const a = ends.slice([0, 0], [walks, d]).reshape([walks, 1, d]);
      const b = ends.slice([walks, 0], [walks, d]).reshape([walks, 1, d]);
      // [1, frames, 1]: the position along the walk.
      const t = tf.linspace(0, 1, frames).reshape([1, frames, 1]);
      const z = tf.add(a, tf.mul(t, tf.sub(b, a)));
      // [walks·frames, d]: walk-major rows.
      return this.generate(z.reshape([walks * frames, d]) as Tensor2D);
    });
    ends.dispose();
    return await readAndDispose(images);
  }

  /** Release G's weights. */
  dispose(): void {
    this.net.dispose();
  }
}

/**
 * Rebuild the generator of a run and load its weights from a checkpoint.
 *
 * @example Draw 16 samples from a finished run
 * ```ts ignore
 * const g = await loadGenerator("models/mnist/01_02_2026/10_00_00");
 * const pixels = await g.sampleArray(16, { seed: 1 }); // 16 × 784 values
 * g.dispose();
 * ```
 *
 * @param runDir The run folder (holding `config.json` and `checkpoints/`).
 * @param options Which checkpoint.
 * @returns G with the checkpoint's weights.
 * @throws {UserError} When the folder, the checkpoint or its tensors are
 *   missing or damaged.
 */
export async function loadGenerator(
  runDir: string,
  options: LoadGeneratorOptions = {},
): Promise<LoadedGenerator> {
  const config = await readRunConfig(runDir);
  const cp = await readChosen(runDir, options);
  // The initial weights are all overwritten; G's output bias would start
  // at the data mean, which the checkpoint's value replaces too.
  const { generator, discriminator } = buildModels(
    new Rng(config.seed),
    config.model,
    { image: datasetImageShape(config.dataset) },
  );
  discriminator.dispose();
  try {
    assignAll(generator.variables, "generator", cp);
    assignAll(generator.buffers, "generator_buffers", cp);
  } catch (err) {
    generator.dispose();
    throw err;
  }
  return new LoadedGenerator(generator, {
    config,
    step: cp.state.step,
    checkpointPath: cp.path,
  });
}

async function readChosen(
  runDir: string,
  options: LoadGeneratorOptions,
): Promise<CheckpointData> {
  const which = options.checkpoint ?? "final";
  if (which === "final") {
    return await readLatestCheckpoint(runDir, { onSkip: options.onSkip });
  }
  const steps = await listCheckpoints(runDir);
  if (!steps.includes(which)) {
    throw new UserError(
      `${join(runDir, "checkpoints")} has no ${checkpointName(which)}; ` +
        `checkpoints there: ${
          steps.length ? steps.join(", ") : "none"
        } (or "final")`,
    );
  }
  return await readCheckpoint(runDir, which);
}

function assignAll(
  variables: Variable[],
  prefix: string,
  cp: CheckpointData,
): void {
  variables.forEach((v, i) => {
    const name = `${prefix}.${i}`;
    const data = cp.tensors.get(name);
    if (!data || data.length !== v.size) {
      throw new UserError(
        `checkpoint ${cp.path} holds ${
          data ? `${data.length} values` : "nothing"
        } for ${name}, expected ${v.size}; does config.json match the run?`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
  });
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new UserError(`sample count must be an integer ≥ 1; got ${count}`);
  }
}

async function readAndDispose(t: Tensor): Promise<Float32Array> {
  try {
    return await t.data() as Float32Array;
  } finally {
    t.dispose();
  }
}
