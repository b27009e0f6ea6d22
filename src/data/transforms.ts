/**
 * Pixel transforms applied when a dataset is loaded: scaling bytes to the
 * range a model wants, global contrast normalisation, and per-pixel mean
 * subtraction.
 *
 * @module
 */
import type { Split } from "./types.ts";

/** The value range of loaded pixels: [0, 1] or [-1, 1]. */
export type PixelRange = "unit" | "symmetric";

/**
 * Scale bytes to floats: `x / 255` for `unit`, `x / 127.5 - 1` for
 * `symmetric`.
 *
 * @param bytes Pixel bytes, 0–255.
 * @param range The target range.
 */
export function scalePixels(
  bytes: Uint8Array,
  range: PixelRange,
): Float32Array {
  const out = new Float32Array(bytes.length);
  const scale = range === "unit" ? 1 / 255 : 1 / 127.5;
  const shift = range === "unit" ? 0 : -1;
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] * scale + shift;
  return out;
}

/** Options for {@linkcode globalContrastNormalize}. */
export interface GcnOptions {
  /** The L2 norm each image gets after normalising. @default {55} */
  scale?: number;
  /** Norms below this leave the image undivided. @default {1e-8} */
  minDivisor?: number;
}

/**
 * Global contrast normalisation, in place: subtract each image's mean, then
 * divide it by its L2 norm over `scale`. This is pylearn2's
 * `global_contrast_normalize(X, scale=55.)`, the CIFAR-10 preprocessing of
 * the paper's experiments; values end up with a root mean square of
 * `scale / sqrt(pixels)` (about 1 for CIFAR-10), not in a fixed range.
 *
 * @param images `count × pixels` values.
 * @param pixels Values per image.
 */
export function globalContrastNormalize(
  images: Float32Array,
  pixels: number,
  options: GcnOptions = {},
): void {
  const { scale = 55, minDivisor = 1e-8 } = options;
  for (let at = 0; at < images.length; at += pixels) {
    const image = images.subarray(at, at + pixels);
    let sum = 0;
    for (let i = 0; i < pixels; i++) sum += image[i];
    const mean = sum / pixels;
    let squares = 0;
    for (let i = 0; i < pixels; i++) {
      image[i] -= mean;
      squares += image[i] * image[i];
    }
    let divisor = Math.sqrt(squares) / scale;
    if (divisor < minDivisor) divisor = 1;
    for (let i = 0; i < pixels; i++) image[i] /= divisor;
  }
}

/** Values per image of a split. */
export function pixelsOf(split: Split): number {
  return split.height * split.width * split.channels;
}

/**
 * The mean of every pixel position over a split's images.
 *
 * @param split The split, usually train.
 * @returns One mean per pixel position, NHWC order.
 */
export function pixelMean(split: Split): Float32Array {
  const pixels = pixelsOf(split);
  const sums = new Float64Array(pixels);
  for (let n = 0; n < split.count; n++) {
    const at = n * pixels;
    for (let i = 0; i < pixels; i++) sums[i] += split.images[at + i];
  }
  return Float32Array.from(sums, (s) => s / Math.max(1, split.count));
}

/**
 * Subtract a per-pixel mean from every image of a split, in place.
 *
 * @param split The split to de-mean.
 * @param mean One value per pixel position.
 */
export function subtractMean(split: Split, mean: Float32Array): void {
  const pixels = pixelsOf(split);
  for (let n = 0; n < split.count; n++) {
    const at = n * pixels;
    for (let i = 0; i < pixels; i++) split.images[at + i] -= mean[i];
  }
}
