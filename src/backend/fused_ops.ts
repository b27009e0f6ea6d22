/**
 * Kernels of webgan's own that a backend may register, and the operations
 * that use them where they exist, with the plain tfjs composition as the
 * fallback everywhere else. The wasm backend registers them in
 * `./wasm_kernels.ts`; `./gradients.ts` uses {@linkcode MAX_INNERMOST_GRAD}.
 *
 * @module
 */
// Imported by ./gradients.ts, itself imported by ./tf.ts: import tfjs
// directly to avoid a cycle.
import * as tf from "@tensorflow/tfjs";

/** Kernel name: the gradient of a max over the innermost axis. */
export const MAX_INNERMOST_GRAD = "MaxInnermostGrad";

/** Kernel name: one momentum SGD step, outputs `[θ', v']`. */
export const SGD_MOMENTUM = "SgdMomentumUpdate";

/** Whether the active backend has the kernel `name`. */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * pylearn2's momentum step: `v' = momentum·v − lr·g`, `θ' = θ + v'`. The
 * fused kernel gives the same bits as the composition.
 *
 * @returns The new weights and velocity, new tensors.
 */
export function sgdMomentumStep(
  tensors: { theta: tf.Tensor; vel: tf.Tensor; grad: tf.Tensor },
  rates: { momentum: number; lr: number },
): { theta: tf.Tensor; vel: tf.Tensor } {
  const { theta, vel, grad } = tensors;
  if (hasKernel(SGD_MOMENTUM) && theta.dtype === "float32") {
    const [t, v] = tf.engine().runKernel(
      SGD_MOMENTUM,
      { theta, vel, grad },
      { ...rates },
    ) as tf.Tensor[];
    return { theta: t, vel: v };
  }
  const v = tf.sub(tf.mul(vel, rates.momentum), tf.mul(grad, rates.lr));
  return { theta: tf.add(theta, v), vel: v };
}
