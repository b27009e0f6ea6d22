/**
 * Tiling a batch of images into one picture: the 16×16 sample grids saved
 * at each checkpoint, and latent-space walks laid out one walk per row and
 * one frame per column (set `cols` to the number of frames).
 *
 * @module
 */
import type { RasterImage } from "./png.ts";

/** Layout and value mapping for {@linkcode imageGrid}. */
export interface ImageGridOptions {
  /** Number of images in the batch. */
  count: number;
  /** Height of one image, in pixels. */
  height: number;
  /** Width of one image, in pixels. */
  width: number;
  /** Channels per pixel: 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /**
   * Values mapped to 0 and 255; values outside are clipped.
   * @default {[0, 1]}
   */
  range?: [number, number];
  /**
   * Tiles per row; the row count follows from `count`.
   * @default {Math.ceil(Math.sqrt(count))}
   */
  cols?: number;
  /**
   * Pixels between neighbouring tiles (none around the border), counted
   * after scaling.
   * @default {1}
   */
  padding?: number;
  /**
   * Integer upscaling factor applied to each tile (nearest neighbour).
   * @default {1}
   */
  scale?: number;
  /**
   * Grey level 0..255 of the padding and of empty cells in the last row.
   * @default {255}
   */
  padValue?: number;
}

/**
 * Tile a batch of images, given as one flat NHWC float array, into a grid.
 *
 * Image `i` goes to row `⌊i / cols⌋`, column `i mod cols`. The grid is
 * `cols·width·scale + (cols−1)·padding` pixels wide and
 * `rows·height·scale + (rows−1)·padding` high, with
 * `rows = ⌈count / cols⌉`.
 *
 * @param images `count × height × width × channels` values, row-major.
 * @param options The layout and value range.
 * @returns An 8-bit image with the same channel count as the input.
 * @throws {RangeError} When the data length or an option is inconsistent.
 *
 * @example
 * ```ts
 * // Four 2×2 grey images in a 2×2 grid with 1 px between tiles: 5×5 px.
 * const grid = imageGrid(new Float32Array(16).fill(0.5), {
 *   count: 4,
 *   height: 2,
 *   width: 2,
 *   channels: 1,
 * });
 * ```
 */
export function imageGrid(
  images: Float32Array,
  options: ImageGridOptions,
): RasterImage {
  const { count, height, width, channels } = options;
  const [lo, hi] = options.range ?? [0, 1];
  const cols = options.cols ?? Math.max(1, Math.ceil(Math.sqrt(count)));
  const padding = options.padding ?? 1;
  const scale = options.scale ?? 1;
  const padValue = options.padValue ?? 255;
  checkOptions(images.length, { ...options, cols, padding, scale, lo, hi });

  // Canvas filled with the padding colour; tiles are pasted over it.
  const rows = Math.max(1, Math.ceil(count / cols));
  const tileW = width * scale;
  const tileH = height * scale;
  const gridW = cols * tileW + (cols - 1) * padding;
  const gridH = rows * tileH + (rows - 1) * padding;
  const data = new Uint8Array(gridW * gridH * channels).fill(padValue);

  const gain = 255 / (hi - lo);
  const imageSize = height * width * channels;
  for (let i = 0; i < count; i++) {
    const x0 = (i % cols) * (tileW + padding);
    const y0 = Math.floor(i / cols) * (tileH + padding);
    for (let y = 0; y < tileH; y++) {
      const srcRow = i * imageSize + Math.floor(y / scale) * width * channels;
      let dst = ((y0 + y) * gridW + x0) * channels;
      for (let x = 0; x < tileW; x++) {
        const src = srcRow + Math.floor(x / scale) * channels;
        for (let c = 0; c < channels; c++) {
          const v = (images[src + c] - lo) * gain;
          // NaN fails both comparisons and lands on 0.
          data[dst++] = v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
        }
      }
    }
  }
  return { data, width: gridW, height: gridH, channels };
}

function checkOptions(
  length: number,
  o: ImageGridOptions & {
    cols: number;
    padding: number;
    scale: number;
    lo: number;
    hi: number;
  },
): void {
  const positive = { count: o.count, height: o.height, width: o.width };
  for (const [key, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `imageGrid ${key} must be a positive integer, got ${value}`,
      );
    }
  }
  if (o.channels !== 1 && o.channels !== 3) {
    throw new RangeError(
      `imageGrid channels must be 1 or 3, got ${o.channels}`,
    );
  }
  if (!Number.isInteger(o.cols) || o.cols < 1) {
    throw new RangeError(
      `imageGrid cols must be a positive integer, got ${o.cols}`,
    );
  }
  if (!Number.isInteger(o.scale) || o.scale < 1) {
    throw new RangeError(
      `imageGrid scale must be a positive integer, got ${o.scale}`,
    );
  }
  if (!Number.isInteger(o.padding) || o.padding < 0) {
    throw new RangeError(
      `imageGrid padding must be an integer >= 0, got ${o.padding}`,
    );
  }
  if (!(o.hi > o.lo)) {
    throw new RangeError(
      `imageGrid range must be [low, high] with low < high, got [${o.lo}, ${o.hi}]`,
    );
  }
  const expected = o.count * o.height * o.width * o.channels;
  if (length !== expected) {
    throw new RangeError(
      `imageGrid got ${length} values, expected ${expected} for ` +
        `${o.count}x${o.height}x${o.width}x${o.channels}`,
    );
  }
}
