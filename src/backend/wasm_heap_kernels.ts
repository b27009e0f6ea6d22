/**
 * Three wasm-backend kernels that work on tfjs's heap in place, where the
 * stock ones waste most of their time (`./wasm_kernels.ts` registers them):
 *
 * - `Identity` shares its input's buffer instead of copying it, as the cpu
 *   backend and the wasm backend's own `Reshape` do. tfjs calls it for
 *   every tensor that a gradient saves: about 135 copies in a training step
 *   of the paper's MNIST model, weight matrices among them.
 * - `Max` over the innermost axis (a maxout layer's pieces) runs as one
 *   pass of webgan's own wasm; the stock kernel takes a generic reduction
 *   path at about 4 ns an element.
 * - `MaxInnermostGrad` (a kernel of webgan's own) routes `dy` to the inputs
 *   that equal their row's maximum, ties included, as the stock gradient
 *   does; `./gradients.ts` calls it when it is registered.
 *
 * Other cases go to the stock kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelEngine } from "../kernels/engine.ts";

/** The name of the kernel behind the innermost-axis max gradient. */
export const MAX_INNERMOST_GRAD = "MaxInnermostGrad";

/** The byte address of a tensor's data on the heap. */
function address(backend: BackendWasm, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

/**
 * `Identity`: the same buffer under a new tensor, its count raised. No wasm
 * kernel writes into its inputs, so sharing is safe.
 */
export const identityKernel: tf.KernelFunc = (params) => {
  const x = params.inputs.x!;
  (params.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Whether `Max`'s attributes reduce exactly the innermost axis of `x`. */
function reducesInnermost(x: tf.TensorInfo, attrs: tf.MaxAttrs): boolean {
  if (x.dtype !== "float32" || x.shape.length === 0) return false;
  const axes = tf.util.parseAxisParam(attrs.reductionIndices, x.shape);
  return axes.length === 1 && axes[0] === x.shape.length - 1;
}

/** Rows and pieces of an innermost-axis reduction of `x`. */
function rowsAndPieces(x: tf.TensorInfo): [number, number] {
  const pieces = x.shape[x.shape.length - 1];
  return [tf.util.sizeFromShape(x.shape) / pieces, pieces];
}

/**
 * `Max`: computed by `engine` over the innermost axis of float32 inputs,
 * by `stock` otherwise.
 */
export function maxKernel(
  engine: KernelEngine,
  stock: tf.KernelConfig,
): tf.KernelFunc {
  return (params) => {
    const x = params.inputs.x!;
    const attrs = params.attrs as unknown as tf.MaxAttrs;
    const [rows, pieces] = rowsAndPieces(x);
    if (!reducesInnermost(x, attrs) || pieces === 0) {
      return stock.kernelFunc(params);
    }
    const backend = params.backend as BackendWasm;
    const outer = x.shape.slice(0, -1);
    const shape = attrs.keepDims ? [...outer, 1] : outer;
    const out = backend.makeOutput(shape, "float32");
    engine.maxInnermost(
      address(backend, x),
      address(backend, out),
      rows,
      pieces,
    );
    return out;
  };
}

/**
 * `MaxInnermostGrad(x, y, dy)`: the gradient of an innermost-axis max
 * `y`, `dx[…, p] = dy[…]` where `x[…, p]` equals `y[…]`, else 0.
 */
export function maxInnermostGradKernel(engine: KernelEngine): tf.KernelFunc {
  return (params) => {
    const { x, y, dy } = params.inputs as Record<string, tf.TensorInfo>;
    const backend = params.backend as BackendWasm;
    const [rows, pieces] = rowsAndPieces(x);
    const out = backend.makeOutput(x.shape, "float32");
    engine.maxInnermostGrad(
      address(backend, x),
      address(backend, y),
      address(backend, dy),
      address(backend, out),
      rows,
      pieces,
    );
    return out;
  };
}
