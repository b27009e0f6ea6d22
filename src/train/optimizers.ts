/**
 * The two optimizers webgan's presets use, written out so that their state
 * (momentum buffers, Adam moments) can be checkpointed and restored exactly.
 *
 * - SGD with momentum and the paper's schedules (goodfeli/adversarial
 *   `mnist.yaml`): the learning rate is divided by `decay` after every
 *   update down to `minLr`, and the momentum rises linearly from
 *   `momentumStart` to `momentumEnd` between two epochs.
 * - Adam (Kingma and Ba, 2014), as the PyTorch reference configures it.
 *
 * @module
 */
import { type NamedTensorMap, tf, type Variable } from "../backend/tf.ts";
import { sgdMomentumStep } from "../backend/fused_ops.ts";

/** SGD with momentum, with the paper's schedules. */
export interface SgdConfig {
  /** Selects SGD with momentum. */
  kind: "sgd";
  /** Initial learning rate. */
  lr: number;
  /** The learning rate is divided by this after every update. */
  decay: number;
  /** Floor for the learning rate. */
  minLr: number;
  /** Momentum before `momentumStartEpoch`. */
  momentumStart: number;
  /** Momentum from `momentumEndEpoch` on. */
  momentumEnd: number;
  /** Epoch at which the momentum starts to rise. */
  momentumStartEpoch: number;
  /** Epoch at which it reaches `momentumEnd`. */
  momentumEndEpoch: number;
  /** Updates per epoch, for the momentum schedule. */
  updatesPerEpoch: number;
}

/** Adam. */
export interface AdamConfig {
  /** Selects Adam. */
  kind: "adam";
  /** Learning rate. */
  lr: number;
  /** Decay of the first moment. */
  beta1: number;
  /** Decay of the second moment. */
  beta2: number;
  /** Added to the denominator. */
  epsilon: number;
}

/** Either optimizer's settings. */
export type OptimizerConfig = SgdConfig | AdamConfig;

/** The paper's learning rate after `updates` updates. */
export function sgdLearningRate(config: SgdConfig, updates: number): number {
  return Math.max(config.minLr, config.lr / Math.pow(config.decay, updates));
}

/** The paper's momentum after `updates` updates. */
export function sgdMomentum(config: SgdConfig, updates: number): number {
  const epoch = updates / config.updatesPerEpoch;
  const { momentumStartEpoch: a, momentumEndEpoch: b } = config;
  if (epoch <= a) return config.momentumStart;
  if (epoch >= b) return config.momentumEnd;
  const t = (epoch - a) / (b - a);
  return config.momentumStart + t * (config.momentumEnd - config.momentumStart);
}

/** An optimizer over a fixed list of variables, with saveable state. */
export class Optimizer {
  /** The settings it was created with. */
  readonly config: OptimizerConfig;
  /** The variables it updates, in the order the slots follow. */
  readonly variables: Variable[];
  /** Updates applied so far. */
  updates = 0;
  /** Momentum buffers (SGD) or first moments (Adam), one per variable. */
  readonly slots1: Variable[];
  /** Second moments (Adam only). */
  readonly slots2: Variable[];

  /**
   * Create an optimizer with zeroed state for `variables`.
   *
   * @param variables The variables this optimizer updates, in order.
   * @param config SGD or Adam settings.
   */
  constructor(variables: Variable[], config: OptimizerConfig) {
    this.config = config;
    this.variables = variables;
    const zeros = () =>
      variables.map((v) => {
        const init = tf.zerosLike(v);
        const slot = tf.variable(init, false);
        init.dispose();
        return slot;
      });
    this.slots1 = zeros();
    this.slots2 = config.kind === "adam" ? zeros() : [];
  }

  /** Every state tensor, in a stable order, for checkpoints. */
  get state(): Variable[] {
    return [...this.slots1, ...this.slots2];
  }

  /** The learning rate the next update will use. */
  get learningRate(): number {
    const c = this.config;
    return c.kind === "sgd" ? sgdLearningRate(c, this.updates) : c.lr;
  }

  /**
   * Apply one update from `grads`, which maps each variable's name to its
   * gradient. The gradients are disposed.
   */
  apply(grads: NamedTensorMap): void {
    const c = this.config;
    tf.tidy(() => {
      if (c.kind === "sgd") this.#sgd(c, grads);
      else this.#adam(c, grads);
    });
    for (const g of Object.values(grads)) g.dispose();
    this.updates++;
  }

  #sgd(c: SgdConfig, grads: NamedTensorMap): void {
    const lr = sgdLearningRate(c, this.updates);
    const momentum = sgdMomentum(c, this.updates);
    this.variables.forEach((v, i) => {
      const g = grads[v.name];
      if (!g) return;
      // pylearn2's momentum: vel ← m·vel − lr·g; θ ← θ + vel.
      const next = sgdMomentumStep(
        { theta: v, vel: this.slots1[i], grad: g },
        { momentum, lr },
      );
      this.slots1[i].assign(next.vel);
      v.assign(next.theta);
    });
  }

  #adam(c: AdamConfig, grads: NamedTensorMap): void {
    const t = this.updates + 1;
    const stepSize = c.lr * Math.sqrt(1 - Math.pow(c.beta2, t)) /
      (1 - Math.pow(c.beta1, t));
    // PyTorch adds epsilon to the bias-corrected root; this folds the
    // correction into the step size and scales epsilon to match.
    const eps = c.epsilon * Math.sqrt(1 - Math.pow(c.beta2, t));
    this.variables.forEach((v, i) => {
      const g = grads[v.name];
      if (!g) return;
      const m = tf.add(tf.mul(this.slots1[i], c.beta1), tf.mul(g, 1 - c.beta1));
      const s = tf.add(
        tf.mul(this.slots2[i], c.beta2),
        tf.mul(tf.square(g), 1 - c.beta2),
      );
      this.slots1[i].assign(m);
      this.slots2[i].assign(s);
      v.assign(tf.sub(v, tf.mul(stepSize, tf.div(m, tf.add(tf.sqrt(s), eps)))));
    });
  }

  /** Release the optimizer's state tensors. */
  dispose(): void {
    for (const s of this.state) s.dispose();
  }
}
