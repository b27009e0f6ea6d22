/**
 * One GAN training run in memory: the two networks, their optimizers, the
 * data sampler and the random stream, advanced one step at a time by
 * Algorithm 1 of Goodfellow et al. 2014 (https://arxiv.org/abs/1406.2661):
 *
 *   for k steps: sample m noise samples z and m examples x;
 *     update D by ascending ∇_θd (1/m) Σ [log D(x) + log(1 − D(G(z)))]
 *   sample m noise samples z;
 *     update G by descending ∇_θg (1/m) Σ log(1 − D(G(z)))
 *     (or ascending log D(G(z)), the non-saturating variant)
 *
 * Each update differentiates only with respect to the player being updated,
 * so a G step leaves D's weights untouched and computes no D weight
 * gradients. With `updates: "simultaneous"` the last D update and the G
 * update are taken from the same weights and the same fakes and applied
 * together, as the authors' code (goodfeli/adversarial, `AdversaryCost2`)
 * does. Losses stay on the device and are read back every `readEvery`
 * steps, so the steady-state step never waits on the GPU.
 *
 * @module
 */
import {
  type NamedTensorMap,
  type Scalar,
  type Tensor,
  type Tensor2D,
  tf,
  type Variable,
} from "../backend/tf.ts";
import { UserError } from "../cli/errors.ts";
import {
  BatchSampler,
  type SamplerState,
  type Split,
} from "../data/dataset.ts";
import type { GanPair } from "../models/net.ts";
import { buildModels, noiseDim } from "../models/registry.ts";
import { pixelMean } from "../data/transforms.ts";
import { Rng, type RngState } from "../util/rng.ts";
import type { NoiseKind, TrainConfig } from "./config.ts";
import { errorRate, fakeLoss, generatorLoss, realLoss } from "./losses.ts";
import { Optimizer } from "./optimizers.ts";

/** The figures recorded for every step. */
export interface StepMetrics {
  /** 1-based index of the step. */
  step: number;
  /** Mean −log D(x) on the real batch. */
  dLossReal: number;
  /** Mean −log(1 − D(G(z))) on the fake batch. */
  dLossFake: number;
  /** G's loss, in the form it was trained with. */
  gLoss: number;
  /** Fraction of real examples D judged fake. */
  dErrReal: number;
  /** Fraction of fake examples D judged real. */
  dErrFake: number;
  /** D's learning rate at this step. */
  lr: number;
  /**
   * Classes the generator's samples cover, on the steps where mode
   * coverage was measured (`coverageEvery`); absent on the others.
   */
  classesCovered?: number;
  /**
   * Jensen–Shannon divergence of the samples' class histogram from the
   * real class distribution, in nats, on the same steps.
   */
  coverageJsd?: number;
}

/** The metric columns, in CSV order. */
export const METRIC_COLUMNS: readonly (keyof StepMetrics)[] = [
  "step",
  "dLossReal",
  "dLossFake",
  "gLoss",
  "dErrReal",
  "dErrFake",
  "lr",
];

/** The columns a run with mode coverage adds, after the others. */
export const COVERAGE_COLUMNS: readonly (keyof StepMetrics)[] = [
  "classesCovered",
  "coverageJsd",
];

/** Thrown when a loss stops being finite. */
export class NonFiniteLossError extends UserError {
  /** The step at which it happened. */
  readonly step: number;

  /**
   * Report the loss `name` that became `value` at `step`.
   *
   * @param step The 1-based step whose loss was not finite.
   * @param name The loss's metric name, e.g. `gLoss`.
   * @param value The value it took: NaN or ±Infinity.
   */
  constructor(step: number, name: string, value: number) {
    super(
      `training diverged: ${name} became ${value} at step ${step}; ` +
        `try a lower learning rate`,
      3,
    );
    this.step = step;
  }
}

/** Everything besides tensors needed to resume a session exactly. */
export interface SessionState {
  /** Steps finished. */
  step: number;
  /** The random stream. */
  rng: RngState;
  /** Where the sampler is in its epoch. */
  sampler: SamplerState;
  /** Updates each optimizer has applied. */
  updates: { discriminator: number; generator: number };
}

/** Options for {@linkcode GanSession}. */
export interface SessionOptions {
  /**
   * In D's update, run D once over the real and fake rows together when D
   * is row independent (`Net.rowIndependent`), instead of once for each.
   * Simultaneous updates always run the fakes apart, to replay G's masks.
   * @default {true}
   */
  jointDiscriminatorPass?: boolean;
}

/** Draw `[count, dim]` noise of `kind` from a tfjs seed. */
export function sampleNoise(
  kind: NoiseKind,
  shape: [number, number],
  seed: number,
): Tensor2D {
  if (kind === "normal") return tf.randomNormal(shape, 0, 1, "float32", seed);
  // Uniform on [−√3, √3] has unit variance, as in the paper's code.
  const a = Math.sqrt(3);
  return tf.randomUniform(shape, -a, a, "float32", seed);
}

/** A training run in memory. */
export class GanSession {
  /** The resolved run config the session was built from. */
  readonly config: TrainConfig;
  /** G and D, whose variables the optimizers update in place. */
  readonly models: GanPair;
  /** D's optimizer, over `models.discriminator.variables`. */
  readonly dOptimizer: Optimizer;
  /** G's optimizer, over `models.generator.variables`. */
  readonly gOptimizer: Optimizer;
  /** Values in one flat image: height × width × channels. */
  readonly pixels: number;
  /** The stream that draws noise, dropout and sampler seeds. */
  rng: Rng;
  /** Draws the real minibatches from `train`. */
  sampler: BatchSampler;
  /** Steps finished. */
  step = 0;
  #pending: { step: number; lr: number; values: Tensor }[] = [];
  /** The split being trained on. */
  readonly train: Split;
  readonly #jointPass: boolean;

  /**
   * Build fresh networks and optimizers for `config` on the `train` split.
   *
   * @param config The resolved run config.
   * @param train The images G learns to imitate.
   * @param options How the step is computed, not what it computes.
   */
  constructor(
    config: TrainConfig,
    train: Split,
    options: SessionOptions = {},
  ) {
    this.config = config;
    this.train = train;
    this.#jointPass = options.jointDiscriminatorPass ?? true;
    this.pixels = train.height * train.width * train.channels;
    const initRng = new Rng(config.seed);
    this.models = buildModels(initRng, config.model, {
      image: train,
      meanImage: pixelMean(train),
    });
    this.dOptimizer = new Optimizer(
      this.models.discriminator.variables,
      config.discriminatorOptimizer,
    );
    this.gOptimizer = new Optimizer(
      this.models.generator.variables,
      config.generatorOptimizer,
    );
    this.rng = new Rng(config.seed ^ 0x5eed);
    this.sampler = new BatchSampler(train, {
      batchSize: config.batchSize,
      seed: this.rng.seed(),
    });
  }

  /** The dimension of z. */
  get noiseDim(): number {
    return noiseDim(this.config.model);
  }

  /** Training mode, drawing dropout seeds from `seed`. */
  #context(seed: () => number = () => this.rng.seed()) {
    return { training: true, seed };
  }

  #noise(count: number): Tensor2D {
    return sampleNoise(
      this.config.noise,
      [count, this.noiseDim],
      this.rng.seed(),
    );
  }

  /**
   * D's logits for the real rows and the fake rows. Where D is row
   * independent the two go through D as one batch: larger matrix products,
   * and each weight gradient comes from one product instead of two and a
   * sum. The loss is the same function of the same weights; only the
   * dropout masks are drawn in a different order.
   */
  #discriminate(
    x: Tensor2D,
    fake: Tensor2D,
    seeds: () => number,
  ): [Tensor2D, Tensor2D] {
    const D = this.models.discriminator;
    // A simultaneous update replays the fakes' masks in G's pass, so the
    // fakes keep a pass of their own.
    const joint = this.#jointPass && D.rowIndependent &&
      this.config.updates !== "simultaneous";
    if (joint) {
      const logits = D.apply(tf.concat([x, fake]), this.#context());
      return tf.split(logits, [x.shape[0], fake.shape[0]]) as [
        Tensor2D,
        Tensor2D,
      ];
    }
    return [
      D.apply(x, this.#context()),
      D.apply(fake, this.#context(seeds)),
    ];
  }

  /**
   * D's gradients on a fresh real batch and the given fakes, at the
   * current weights.
   *
   * @param fake `G(z)`, made outside the tape: D's update needs no
   *   gradient with respect to G.
   * @param seeds Draws the dropout seeds of D's pass over the fakes.
   * @returns The gradients and scalars (real loss, fake loss, real error,
   *   fake error), kept out of the caller's tidy so that it can return them.
   */
  #discriminatorGrads(
    fake: Tensor2D,
    seeds: () => number,
  ): { grads: NamedTensorMap; parts: Tensor[] } {
    const m = this.config.batchSize;
    const batch = this.sampler.next();
    const x = tf.tensor2d(batch.images, [m, this.pixels]);
    let parts: Scalar[] = [];
    const { grads } = tf.variableGrads(() => {
      const [logitsReal, logitsFake] = this.#discriminate(x, fake, seeds);
      const lr = realLoss(logitsReal);
      const lf = fakeLoss(logitsFake);
      // Kept, so that the tape's tidy does not release them.
      parts = [lr, lf, errorRate(logitsReal, 1), errorRate(logitsFake, 0)]
        .map((t) => tf.keep(t));
      const sum = tf.add(lr, lf);
      return (this.config.discriminatorLoss === "mean"
        ? tf.mul(sum, 0.5)
        : sum) as Scalar;
    }, this.models.discriminator.variables);
    return { grads, parts };
  }

  /**
   * G's gradients on the noise `z`, at the current weights. D's weights
   * are only read.
   *
   * @param seeds Draws the dropout seeds of D's pass over `G(z)`.
   * @returns The gradients, G's loss, and the fakes `G(z)`, which the tape
   *   keeps for the caller to dispose.
   */
  #generatorGrads(
    z: Tensor2D,
    seeds: () => number,
  ): { grads: NamedTensorMap; value: Scalar; fake: Tensor2D } {
    const { generator: G, discriminator: D } = this.models;
    let fake: Tensor2D | undefined;
    const { grads, value } = tf.variableGrads(() => {
      fake = tf.keep(G.apply(z, this.#context()));
      const logits = D.apply(fake, this.#context(seeds));
      return generatorLoss(logits, this.config.generatorLoss);
    }, G.variables);
    return { grads, value, fake: fake! };
  }

  /**
   * One D update on a fresh real batch and fresh fakes. G's weights are
   * only read.
   *
   * @returns Scalars (real loss, fake loss, real error, fake error), which
   *   the caller must dispose.
   */
  updateDiscriminator(): Tensor[] {
    return tf.tidy(() => {
      const z = this.#noise(this.config.batchSize);
      const fake = this.models.generator.apply(z, this.#context());
      const { grads, parts } = this.#discriminatorGrads(
        fake,
        () => this.rng.seed(),
      );
      this.dOptimizer.apply(grads);
      this.models.discriminator.constrain?.();
      return parts;
    });
  }

  /**
   * One G update on fresh noise. D's weights are only read.
   *
   * @returns G's loss, which the caller must dispose.
   */
  updateGenerator(): Scalar {
    return tf.tidy(() => {
      const z = this.#noise(this.config.batchSize);
      const g = this.#generatorGrads(z, () => this.rng.seed());
      g.fake.dispose();
      this.gOptimizer.apply(g.grads);
      this.models.generator.constrain?.();
      return g.value;
    });
  }

  /**
   * One simultaneous update, as the authors' code makes it (`AdversaryCost2`
   * under pylearn2's SGD): both players' gradients are taken at the same
   * weights, on the same fakes `G(z)` seen through the same dropout masks,
   * and only then applied. G's pass comes first and lends D its fakes, so
   * the step runs G forward once.
   *
   * @returns D's four scalars and G's loss, which the caller must dispose.
   */
  updateBoth(): Tensor[] {
    return tf.tidy(() => {
      const z = this.#noise(this.config.batchSize);
      const drawn: number[] = [];
      const g = this.#generatorGrads(z, () => {
        const seed = this.rng.seed();
        drawn.push(seed);
        return seed;
      });
      let next = 0;
      const d = this.#discriminatorGrads(g.fake, () => drawn[next++]);
      g.fake.dispose();
      this.dOptimizer.apply(d.grads);
      this.gOptimizer.apply(g.grads);
      this.models.discriminator.constrain?.();
      this.models.generator.constrain?.();
      return [...d.parts, g.value];
    });
  }

  /**
   * Run one step: k D updates, then one G update (Algorithm 1), or, with
   * `updates: "simultaneous"`, k − 1 D updates and then one update of
   * both. The step's metrics are queued on the device; {@linkcode flush}
   * reads them.
   */
  trainStep(): void {
    const lr = this.dOptimizer.learningRate;
    const simultaneous = this.config.updates === "simultaneous";
    const k = this.config.discriminatorSteps;
    let parts: Tensor[] = [];
    for (let i = 0; i < (simultaneous ? k - 1 : k); i++) {
      for (const t of parts) t.dispose();
      parts = this.updateDiscriminator();
    }
    let g: Tensor;
    if (simultaneous) {
      for (const t of parts) t.dispose();
      parts = this.updateBoth();
      g = parts.pop()!;
    } else {
      g = this.updateGenerator();
    }
    const [lReal, lFake, eReal, eFake] = parts;
    const values = tf.stack([lReal, lFake, g, eReal, eFake]);
    for (const t of [...parts, g]) t.dispose();
    this.step++;
    this.#pending.push({ step: this.step, lr, values });
  }

  /** Whether metrics are waiting to be read. */
  get hasPending(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * Read every queued step's metrics from the device.
   *
   * @throws {NonFiniteLossError} When a loss is NaN or infinite.
   */
  async flush(): Promise<StepMetrics[]> {
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length === 0) return [];
    const stacked = tf.stack(pending.map((p) => p.values));
    for (const p of pending) p.values.dispose();
    const data = await stacked.data();
    stacked.dispose();
    return pending.map(({ step, lr }, i) => {
      const v = data.subarray(i * 5, i * 5 + 5);
      const row: StepMetrics = {
        step,
        dLossReal: v[0],
        dLossFake: v[1],
        gLoss: v[2],
        dErrReal: v[3],
        dErrFake: v[4],
        lr,
      };
      for (const key of ["dLossReal", "dLossFake", "gLoss"] as const) {
        if (!Number.isFinite(row[key])) {
          throw new NonFiniteLossError(step, key, row[key]);
        }
      }
      return row;
    });
  }

  /**
   * Generate images from given noise, in evaluation mode.
   *
   * @param z `[count, noiseDim]` noise.
   * @returns Flat images, `count × pixels`.
   */
  async generate(z: Tensor2D): Promise<Float32Array> {
    const images = tf.tidy(() =>
      this.models.generator.apply(z, { training: false })
    );
    const data = await images.data() as Float32Array;
    images.dispose();
    return data;
  }

  /** Every tensor that a checkpoint must hold, by stable name. */
  tensors(): Map<string, Variable> {
    const out = new Map<string, Variable>();
    const add = (prefix: string, list: Variable[]) =>
      list.forEach((v, i) => out.set(`${prefix}.${i}`, v));
    add("generator", this.models.generator.variables);
    add("generator_buffers", this.models.generator.buffers);
    add("discriminator", this.models.discriminator.variables);
    add("discriminator_buffers", this.models.discriminator.buffers);
    add("generator_optimizer", this.gOptimizer.state);
    add("discriminator_optimizer", this.dOptimizer.state);
    return out;
  }

  /** The non-tensor state a checkpoint must hold. */
  state(): SessionState {
    return {
      step: this.step,
      rng: this.rng.state(),
      sampler: this.sampler.state(),
      updates: {
        discriminator: this.dOptimizer.updates,
        generator: this.gOptimizer.updates,
      },
    };
  }

  /**
   * Restore a state saved by {@linkcode state} and tensors saved from
   * {@linkcode tensors}.
   *
   * @throws {UserError} When a tensor is missing or has the wrong shape.
   */
  restore(state: SessionState, values: Map<string, Float32Array>): void {
    for (const [name, v] of this.tensors()) {
      const data = values.get(name);
      if (!data || data.length !== v.size) {
        throw new UserError(
          `checkpoint tensor "${name}" is missing or has ${data?.length} ` +
            `values; expected ${v.size}`,
        );
      }
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    }
    this.step = state.step;
    this.rng = Rng.fromState(state.rng);
    this.sampler = BatchSampler.fromState(this.train, state.sampler);
    this.dOptimizer.updates = state.updates.discriminator;
    this.gOptimizer.updates = state.updates.generator;
  }

  /** Release every tensor the session holds. */
  dispose(): void {
    for (const p of this.#pending) p.values.dispose();
    this.#pending = [];
    this.models.generator.dispose();
    this.models.discriminator.dispose();
    this.dOptimizer.dispose();
    this.gOptimizer.dispose();
  }
}
