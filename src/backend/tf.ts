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
 * wasm backend lacks.
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
