/**
 * Faster gradients for matrix products and maxima on the wasm backend.
 *
 * `BatchMatMul`: tfjs computes the gradient of `C = A·B` as `dy·Bᵀ` and
 * `Aᵀ·dy` by calling `matMul` with `transposeA` / `transposeB` set. The wasm
 * backend sends only flag-free rank-2 products to XNNPACK; any transpose
 * flag falls back to a naive loop that runs at about 1 GFLOP/s, 10 to 20
 * times slower. On wasm, this gradient materialises the transposes with
 * `tf.transpose` and calls a flag-free `matMul`, choosing for each product
 * the arrangement that copies the fewest elements. Once webgan's own wasm
 * matrix product is registered (`./wasm_kernels.ts`), which takes every
 * flag at full speed, the gradient sets the flags as tfjs does.
 *
 * `Max` (maxout units): tfjs masks `dy` with `equal(x, max)`, a comparison
 * that broadcasts, which the wasm backend runs through a generic loop: about
 * 60 ms for a [200, 240, 5] input, more than the layer's matrix product. On
 * wasm, this gradient builds the same mask as `1 − sign(max − x)` from
 * float ops that broadcast quickly (about 4 ms). Ties still credit every
 * tied element, as in tfjs. Where the backend registers webgan's
 * `MaxInnermostGrad` kernel (wasm, through `./wasm_kernels.ts`), a max over
 * the innermost axis takes that single pass instead.
 *
 * On other backends both compute exactly what the stock gradients compute.
 * As in tfjs, each input's gradient is a thunk, so tfjs computes only the
 * gradients it needs: a generator step computes no discriminator weight
 * gradients.
 *
 * @module
 */
// This file is imported by ./tf.ts, so it imports tfjs directly: importing
// ./tf.ts here would be circular.
import * as tf from "@tensorflow/tfjs";
import { hasKernel, MAX_INNERMOST_GRAD } from "./fused_ops.ts";

/** Backends on which the rewritten gradients are faster. */
const FAST_BACKENDS: ReadonlySet<string> = new Set(["wasm"]);

/** Whether the active backend takes the rewritten gradients. */
function onFastBackend(): boolean {
  return FAST_BACKENDS.has(tf.getBackend());
}

/** Set once webgan's own wasm matMul kernel, fast with any flags, is in. */
let flagsFast = false;

/**
 * Tell the `BatchMatMul` gradient that the wasm kernel now runs transposed
 * products at full speed, so the flags are cheaper than explicit copies.
 * `./wasm_matmul.ts` calls this when it replaces the kernel.
 */
export function setMatMulFlagsFast(fast: boolean): void {
  flagsFast = fast;
}

/** The four products a matrix-product gradient needs. */
interface Products {
  /** `x·y` */
  nn(x: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** `x·yᵀ` */
  nt(x: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** `xᵀ·y` */
  tn(x: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** `xᵀ·yᵀ` */
  tt(x: tf.Tensor, y: tf.Tensor): tf.Tensor;
}

/** Products through transpose flags, as the stock gradient does them. */
const FLAG_PRODUCTS: Products = {
  nn: (x, y) => tf.matMul(x, y),
  nt: (x, y) => tf.matMul(x, y, false, true),
  tn: (x, y) => tf.matMul(x, y, true, false),
  tt: (x, y) => tf.matMul(x, y, true, true),
};

/** Swap the last two axes. */
function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/** Rows and columns of the matrices in `x`. */
function dims(x: tf.Tensor): [number, number] {
  return [x.shape[x.rank - 2], x.shape[x.rank - 1]];
}

/*
 * Products through flag-free matMul. Costs count elements copied by
 * transposes plus elements of the right operand, which XNNPACK repacks on
 * every call because a fresh tensor misses its weight cache.
 */
const EXPLICIT_PRODUCTS: Products = {
  nn: (x, y) => tf.matMul(x, y),

  // x [m, n], y [k, n]: x·(yᵀ) costs 2kn, (y·xᵀ)ᵀ costs 2mn + mk.
  nt: (x, y) => {
    const [m, n] = dims(x);
    const k = dims(y)[0];
    if (2 * k * n <= 2 * m * n + m * k) {
      return tf.matMul(x, transposeLast(y));
    }
    return transposeLast(tf.matMul(y, transposeLast(x)));
  },

  // x [m, k], y [m, n]: xᵀ·y costs mk + mn; (yᵀ·x)ᵀ always costs kn more.
  tn: (x, y) => tf.matMul(transposeLast(x), y),

  // x [m, k], y [n, m]: (y·x)ᵀ costs mk + nk, (xᵀ)·(yᵀ) costs mk + 2nm.
  tt: (x, y) => {
    const [m, k] = dims(x);
    if (k <= 2 * m) return transposeLast(tf.matMul(y, x));
    return tf.matMul(transposeLast(x), transposeLast(y));
  },
};

/**
 * Sum a gradient over the batch axes that matMul broadcast, so that it has
 * the shape of the input it belongs to.
 */
function sumToShape(grad: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(grad.shape, shape)) return grad;
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < grad.rank - 2; axis++) {
    if (axis < lead || shape[axis - lead] === 1) axes.push(axis);
  }
  return tf.reshape(tf.sum(grad, axes), shape);
}

/** Gradient of `BatchMatMul` for every combination of transpose flags. */
function batchMatMulGrad(
  dyOrList: tf.Tensor | tf.Tensor[],
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
): Record<string, () => tf.Tensor> {
  const dy = Array.isArray(dyOrList) ? dyOrList[0] : dyOrList;
  const [a, b] = saved;
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const p = onFastBackend() && !flagsFast ? EXPLICIT_PRODUCTS : FLAG_PRODUCTS;

  // C = op(A)·op(B); each case is the stock formula, product by product.
  let da: () => tf.Tensor;
  let db: () => tf.Tensor;
  if (!transposeA && !transposeB) {
    da = () => p.nt(dy, b);
    db = () => p.tn(a, dy);
  } else if (!transposeA && transposeB) {
    da = () => p.nn(dy, b);
    db = () => p.tn(dy, a);
  } else if (transposeA && !transposeB) {
    da = () => p.nt(b, dy);
    db = () => p.nn(a, dy);
  } else {
    da = () => p.tt(b, dy);
    db = () => p.tt(dy, a);
  }
  return {
    a: () => sumToShape(da(), a.shape),
    b: () => sumToShape(db(), b.shape),
  };
}

/** Gradient of `Max` over any axes, with or without `keepDims`. */
function maxGrad(
  dyOrList: tf.Tensor | tf.Tensor[],
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
): Record<string, () => tf.Tensor> {
  const dy = Array.isArray(dyOrList) ? dyOrList[0] : dyOrList;
  const [x, y] = saved;
  const { reductionIndices } = attrs as unknown as tf.MaxAttrs;
  const axes = tf.util.parseAxisParam(reductionIndices, x.shape);
  const kept = tf.backend_util.expandShapeToKeepDim(y.shape, axes);
  const fast = onFastBackend();
  const innermost = axes.length === 1 && axes[0] === x.rank - 1;
  return {
    x: () => {
      if (innermost && hasKernel(MAX_INNERMOST_GRAD)) {
        return tf.engine().runKernel(MAX_INNERMOST_GRAD, {
          x,
          y,
          dy,
        }) as tf.Tensor;
      }
      // Reinsert the reduced axes as size 1 so that max and dy broadcast.
      const yKept = y.rank < x.rank ? tf.reshape(y, kept) : y;
      const dyKept = dy.rank < x.rank ? tf.reshape(dy, kept) : dy;
      // max − x ≥ 0, so 1 − sign(max − x) is 1 exactly where x is the max.
      const mask = fast
        ? tf.sub(1, tf.sign(tf.sub(yKept, x)))
        : tf.cast(tf.equal(x, yKept), dy.dtype);
      return tf.mul(dyKept, mask);
    },
  };
}

/** The gradient configurations this file registers. */
const FAST_GRADIENTS: readonly tf.GradConfig[] = [
  {
    kernelName: "BatchMatMul",
    inputsToSave: ["a", "b"],
    gradFunc: batchMatMulGrad,
  },
  {
    kernelName: "Max",
    inputsToSave: ["x"],
    outputsToSave: [true],
    gradFunc: maxGrad,
  },
];

/**
 * Replace tfjs's `BatchMatMul` and `Max` gradients with ones that are
 * faster on the wasm backend and identical elsewhere. Calling it again does
 * nothing.
 *
 * Call it once, after `@tensorflow/tfjs` is imported (which registers the
 * stock gradients) and before any gradient is taken.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { registerFastGradients } from "./gradients.ts";
 *
 * registerFastGradients();
 * ```
 */
export function registerFastGradients(): void {
  for (const config of FAST_GRADIENTS) {
    if (tf.getGradient(config.kernelName) !== config) {
      tf.registerGradient(config);
    }
  }
}
