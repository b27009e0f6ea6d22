/**
 * wasm-backend kernels that work on tfjs's heap in place, where the stock
 * ones waste most of their time (`./wasm_kernels.ts` registers them):
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
 * - `SgdMomentumUpdate` (also webgan's own) runs the momentum step of
 *   `../train/optimizers.ts` as one pass instead of four kernels.
 * - `Sum` over the rows of a matrix (a bias gradient) runs as one pass;
 *   the stock kernel transposes the matrix first.
 * - `Add` of a vector to every row of a matrix (a bias) runs as one SIMD
 *   pass; the stock kernel takes a generic broadcasting loop, about 2.5 ns
 *   an element.
 *
 * Other cases go to the stock kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelEngine } from "../kernels/engine.ts";

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

/**
 * `SgdMomentumUpdate(theta, vel, grad)` with attributes `momentum` and
 * `lr`: outputs `[θ', v']`, see {@linkcode KernelEngine.sgdMomentum}.
 */
export function sgdMomentumKernel(engine: KernelEngine): tf.KernelFunc {
  return (params) => {
    const { theta, vel, grad } = params.inputs as Record<
      string,
      tf.TensorInfo
    >;
    const { momentum, lr } = params.attrs as { momentum: number; lr: number };
    const backend = params.backend as BackendWasm;
    const thetaOut = backend.makeOutput(theta.shape, "float32");
    const velOut = backend.makeOutput(theta.shape, "float32");
    engine.sgdMomentum({
      theta: address(backend, theta),
      vel: address(backend, vel),
      grad: address(backend, grad),
      thetaOut: address(backend, thetaOut),
      velOut: address(backend, velOut),
    }, { count: tf.util.sizeFromShape(theta.shape), momentum, lr });
    return [thetaOut, velOut];
  };
}

/**
 * `Sum`: computed by `engine` when a float32 matrix is summed over its
 * rows (axis 0, as for a bias gradient), by `stock` otherwise.
 */
export function sumKernel(
  engine: KernelEngine,
  stock: tf.KernelConfig,
): tf.KernelFunc {
  return (params) => {
    const x = params.inputs.x!;
    const attrs = params.attrs as unknown as tf.SumAttrs;
    if (x.dtype !== "float32" || x.shape.length !== 2) {
      return stock.kernelFunc(params);
    }
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
    if (axes.length !== 1 || axes[0] !== 0) return stock.kernelFunc(params);
    const [rows, cols] = x.shape;
    const backend = params.backend as BackendWasm;
    const out = backend.makeOutput(
      attrs.keepDims ? [1, cols] : [cols],
      "float32",
    );
    engine.sumRows(address(backend, x), address(backend, out), rows, cols);
    return out;
  };
}

/**
 * `Add` where one float32 input is a matrix and the other a vector as
 * long as its rows (`[cols]` or `[1, cols]`): the vector goes to every
 * row. Other cases go to `stock`.
 */
export function addKernel(
  engine: KernelEngine,
  stock: tf.KernelConfig,
): tf.KernelFunc {
  const isRow = (v: tf.TensorInfo, cols: number) =>
    v.shape[v.shape.length - 1] === cols &&
    tf.util.sizeFromShape(v.shape) === cols && v.shape.length <= 2;
  return (params) => {
    const { a, b } = params.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const [x, bias] = a.shape.length === 2 ? [a, b] : [b, a];
    if (
      x.dtype !== "float32" || bias.dtype !== "float32" ||
      x.shape.length !== 2 || !isRow(bias, x.shape[1])
    ) {
      return stock.kernelFunc(params);
    }
    const [rows, cols] = x.shape;
    const backend = params.backend as BackendWasm;
    const out = backend.makeOutput([rows, cols], "float32");
    engine.addRows(
      address(backend, x),
      address(backend, bias),
      address(backend, out),
      { rows, cols },
    );
    return out;
  };
}
