/**
 * The one place webgan imports TensorFlow.js. Everything else imports `tf`
 * from here, so that the backends and the gradient overrides are registered
 * before any model runs.
 *
 * Gradients: tfjs-core alone registers none under Deno, and Deno cannot
 * deep-import tfjs-core's ESM gradient files. Importing the `@tensorflow/tfjs`
 * bundle registers all of them; `./gradients.ts` then replaces the MatMul
 * and Max gradients with ones that are five times faster on wasm, and
 * `./wasm_conv_kernels.ts` adds the convolution gradient kernels that the
 * wasm backend lacks. `./select.ts` installs webgan's own wasm kernels
 * (`./wasm_kernels.ts`) when it starts the wasm backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import "./wasm_conv_kernels.ts";
import { registerFastGradients } from "./gradients.ts";

// Production mode skips tfjs's debug checks and silences its banner that
// suggests installing tfjs-node, which Deno cannot use.
tf.enableProdMode();
registerFastGradients();

export { tf };

/** A tfjs tensor of any rank. */
export type Tensor = tf.Tensor;
/** A rank-1 tfjs tensor: a vector. */
export type Tensor1D = tf.Tensor1D;
/** A rank-2 tfjs tensor: rows × columns. */
export type Tensor2D = tf.Tensor2D;
/** A rank-4 tfjs tensor: batch × height × width × channels (NHWC). */
export type Tensor4D = tf.Tensor4D;
/** A rank-0 tfjs tensor: a single number. */
export type Scalar = tf.Scalar;
/** A trainable tfjs tensor whose value persists across steps. */
export type Variable = tf.Variable;
/** Tensors by name, as tfjs returns gradients. */
export type NamedTensorMap = tf.NamedTensorMap;
