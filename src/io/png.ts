/**
 * PNG encoding and decoding of 8-bit raster images, through `fast-png`.
 *
 * Every image in webgan (sample grids, interpolation strips, plots) is a
 * {@linkcode RasterImage}: interleaved 8-bit channels, row-major, with no
 * row padding. Decoding normalizes whatever a PNG holds (palette, 1/2/4/16
 * bits, grey with alpha) to that form.
 *
 * @module
 */
import {
  convertIndexedToRgb,
  decode,
  type DecodedPng,
  encode,
  hasPngSignature,
} from "fast-png";
import { UserError } from "../cli/errors.ts";
import { writeFileAtomic } from "./atomic.ts";

/** An 8-bit image with interleaved channels, stored row by row. */
export interface RasterImage {
  /** Pixel bytes, `height × width × channels` long, row-major. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 = grey, 3 = RGB, 4 = RGBA. */
  channels: 1 | 3 | 4;
}

/**
 * Encode an 8-bit image as PNG bytes.
 *
 * @param image The image; `data.length` must be `width·height·channels`.
 * @returns The PNG file contents.
 * @throws {RangeError} When the data length does not match the size.
 *
 * @example
 * ```ts
 * const image: RasterImage = {
 *   data: new Uint8Array([0, 85, 170, 255]),
 *   width: 2,
 *   height: 2,
 *   channels: 1,
 * };
 * const png = encodePng(image);
 * ```
 */
export function encodePng(image: RasterImage): Uint8Array {
  const { data, width, height, channels } = image;
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new RangeError(
      `Image data has ${data.length} bytes, expected ${expected} for ` +
        `${width}x${height}x${channels}`,
    );
  }
  return encode({ data, width, height, channels, depth: 8 });
}

/**
 * Decode PNG bytes into an 8-bit image.
 *
 * Palette images become RGB or RGBA, grey with alpha becomes RGBA, and
 * 1/2/4/16-bit samples are rescaled to 8 bits.
 *
 * @param bytes The PNG file contents.
 * @param name How to name the source in error messages. @default {"PNG data"}
 * @returns The decoded image.
 * @throws {UserError} When the bytes are not a readable PNG.
 */
export function decodePng(bytes: Uint8Array, name = "PNG data"): RasterImage {
  if (!hasPngSignature(bytes)) {
    throw new UserError(`${name} is not a PNG file (bad signature)`);
  }
  let png: DecodedPng;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new UserError(`${name} is a corrupt PNG: ${(err as Error).message}`);
  }
  return normalize(png);
}

/**
 * Encode an image as PNG and write it to `path` atomically.
 *
 * @param path The file to write; parent folders are created.
 * @param image The image to store.
 */
export async function writePng(
  path: string,
  image: RasterImage,
): Promise<void> {
  await writeFileAtomic(path, encodePng(image));
}

/**
 * Read and decode a PNG file.
 *
 * @param path The file to read.
 * @returns The decoded image.
 * @throws {UserError} When the file is not a readable PNG.
 */
export async function readPng(path: string): Promise<RasterImage> {
  return decodePng(await Deno.readFile(path), path);
}

function normalize(png: DecodedPng): RasterImage {
  const { width, height } = png;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const channels = png.palette[0].length === 4 ? 4 : 3;
    return { data: rgb, width, height, channels };
  }
  const samples = toEightBit(png);
  if (png.channels === 2) return greyAlphaToRgba(samples, width, height);
  return { data: samples, width, height, channels: png.channels as 1 | 3 | 4 };
}

/** Unpack sub-byte rows and rescale 1/2/4/16-bit samples to 0..255. */
function toEightBit(png: DecodedPng): Uint8Array {
  const { data, depth, width, height, channels } = png;
  if (depth === 8) {
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }
  const out = new Uint8Array(width * height * channels);
  if (depth === 16) {
    for (let i = 0; i < out.length; i++) out[i] = data[i] >> 8;
    return out;
  }
  // Sub-byte depths only occur with one channel; rows start on a byte.
  const rowBytes = Math.ceil((width * depth) / 8);
  const maxValue = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      const value = (byte >> (8 - depth - (bit & 7))) & maxValue;
      out[y * width + x] = Math.round((value * 255) / maxValue);
    }
  }
  return out;
}

function greyAlphaToRgba(
  samples: Uint8Array,
  width: number,
  height: number,
): RasterImage {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const grey = samples[2 * p];
    data.set([grey, grey, grey, samples[2 * p + 1]], 4 * p);
  }
  return { data, width, height, channels: 4 };
}
