/**
 * The shape every webgan network takes: a list of trainable variables in a
 * fixed order (so checkpoints and optimizers can address them by index) and
 * an `apply` that runs the forward pass.
 *
 * Images travel between G and D as flat rows, `[batch, height·width·channels]`
 * in NHWC order; convolutional networks reshape inside.
 *
 * @module
 */
import type { Tensor2D, Variable } from "../backend/tf.ts";

/** Per-call context for a forward pass. */
export interface ApplyContext {
  /** Training mode: dropout active, batch norm on batch statistics. */
  training: boolean;
  /** Draws seeds for dropout masks; required when `training` is true. */
  seed?: () => number;
}

/** A network: its variables and its forward pass. */
export interface Net {
  /** Trainable variables, in a stable order. */
  readonly variables: Variable[];
  /** Non-trainable state (batch norm running statistics), also saved. */
  readonly buffers: Variable[];
  /**
   * Run the forward pass.
   *
   * @param x `[batch, inputs]`: noise for G, flat images for D.
   * @returns `[batch, outputs]`: flat images for G, logits for D.
   */
  apply(x: Tensor2D, context: ApplyContext): Tensor2D;
  /**
   * Multiply-add FLOPs of one forward pass over `batch` rows, counted
   * twice (multiply and add). Nets without it are costed as dense layers.
   */
  forwardFlops?(batch: number): number;
  /**
   * The first layer's part of {@linkcode Net.forwardFlops}: the input
   * gradient a step skips when the input is data or noise. Nets without it
   * are costed as dense layers, the first weight matrix being the first.
   */
  inputLayerFlops?(batch: number): number;
  /**
   * True when, in training as in evaluation, each row's output depends on
   * that row alone (no batch statistics), so that two batches may be run
   * as one. Absent means false.
   */
  readonly rowIndependent?: boolean;
  /** Re-impose weight constraints after an update, when the net has any. */
  constrain?(): void;
  /** Release every variable. */
  dispose(): void;
}

/** A generator and discriminator that train together. */
export interface GanPair {
  /** G: maps noise z to flat images. */
  generator: Net;
  /** D: maps flat images to a logit of "this is real". */
  discriminator: Net;
}

/** Count the scalar parameters in `net`. */
export function countParameters(net: Net): number {
  return net.variables.reduce((n, v) => n + v.size, 0);
}
