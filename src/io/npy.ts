/**
 * NumPy `.npy` files holding float32 arrays, so that samples and metrics can
 * be inspected with `numpy.load` and reference numbers can come back in.
 *
 * Format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * the magic `\x93NUMPY`, a version, a little-endian header length, then a
 * Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with
 * spaces and ended by `\n` so that the data starts on a 64-byte boundary,
 * then the raw array in C order.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import { writeFileAtomic } from "./atomic.ts";

/** A flat float32 array with its shape (C order, last axis fastest). */
export interface NpyArray {
  /** The values, `shape` product long. */
  data: Float32Array;
  /** The size of each axis; `[]` for a scalar. */
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64;

/** Byte width and reader for the dtypes {@linkcode decodeNpy} accepts. */
const DTYPES: Record<string, { bytes: number; float64: boolean }> = {
  "f4": { bytes: 4, float64: false },
  "f8": { bytes: 8, float64: true },
};

/**
 * Encode a float32 array as a NumPy `.npy` file (format 1.0, `<f4`, C order).
 *
 * @param data The values in C order.
 * @param shape The size of each axis; its product must equal `data.length`.
 * @returns The file contents.
 * @throws {RangeError} When the shape does not match the data length.
 *
 * @example
 * ```ts
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * ```
 */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (
    shape.some((d) => !Number.isInteger(d) || d < 0) || size !== data.length
  ) {
    throw new RangeError(
      `Shape [${shape}] does not fit ${data.length} values`,
    );
  }

  // Header: dict literal, space padding, newline; data starts at 64·k.
  // Like NumPy, leave room for the first axis to grow to 21 digits (so a
  // file can be appended to in place); this makes the files byte-identical.
  const dict = npyHeaderDict(shape);
  const growth = shape.length > 0 ? 21 - String(shape[0]).length : 0;
  const unpadded = MAGIC.length + 4 + dict.length + growth + 1;
  const total = Math.ceil(unpadded / ALIGN) * ALIGN;
  const header = dict + " ".repeat(total - unpadded + growth) + "\n";
  const headerLen = total - MAGIC.length - 4;
  if (headerLen > 0xffff) {
    throw new RangeError(`Shape [${shape}] makes the .npy header too long`);
  }

  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  new DataView(out.buffer).setUint16(8, headerLen, true);
  out.set(new TextEncoder().encode(header), 10);
  const view = new DataView(out.buffer, total);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

/** The dict NumPy writes for C-order `<f4`, without padding or newline. */
function npyHeaderDict(shape: number[]): string {
  // Python's repr of a tuple: (), (5,), (2, 3).
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  return `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
}

/**
 * Decode a NumPy `.npy` file holding float32 or float64 values in C order.
 *
 * Float64 values are rounded to float32.
 *
 * @param bytes The file contents.
 * @param name How to name the source in error messages. @default {"NPY data"}
 * @returns The values and their shape.
 * @throws {UserError} When the file is malformed or holds another dtype.
 */
export function decodeNpy(bytes: Uint8Array, name = "NPY data"): NpyArray {
  const fail = (what: string) => new UserError(`${name} ${what}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw fail("is not a .npy file (missing \\x93NUMPY magic)");
  }

  // Versions 2 and 3 widen the header length to 4 bytes.
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw fail(`has unsupported .npy version ${major}.${bytes[7]}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const lenBytes = major === 1 ? 2 : 4;
  const start = 8 + lenBytes;
  const headerLen = major === 1
    ? view.getUint16(8, true)
    : view.getUint32(8, true);
  if (start + headerLen > bytes.length) {
    throw fail(`is truncated inside its ${headerLen}-byte header`);
  }
  const header = new TextDecoder().decode(
    bytes.subarray(start, start + headerLen),
  );
  const { dtype, littleEndian, shape } = parseHeader(header, fail);

  const size = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const need = size * dtype.bytes;
  if (bytes.length - dataStart < need) {
    throw fail(
      `is truncated: shape (${shape}) needs ${need} data bytes, found ` +
        `${bytes.length - dataStart}`,
    );
  }
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const at = dataStart + i * dtype.bytes;
    data[i] = dtype.float64
      ? view.getFloat64(at, littleEndian)
      : view.getFloat32(at, littleEndian);
  }
  return { data, shape };
}

/**
 * Write a float32 array to `path` as `.npy`, atomically.
 *
 * @param path The file to write; parent folders are created.
 * @param array The values and their shape.
 */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFileAtomic(path, encodeNpy(array.data, array.shape));
}

/**
 * Read a `.npy` file of float32 or float64 values.
 *
 * @param path The file to read.
 * @returns The values (as float32) and their shape.
 * @throws {UserError} When the file is malformed or holds another dtype.
 */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await Deno.readFile(path), path);
}

function parseHeader(
  header: string,
  fail: (what: string) => UserError,
): {
  dtype: { bytes: number; float64: boolean };
  littleEndian: boolean;
  shape: number[];
} {
  const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const tuple = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !tuple) {
    throw fail(`has a malformed header: ${JSON.stringify(header.trim())}`);
  }
  const dtype = DTYPES[descr[2]];
  if (!dtype) {
    throw fail(`holds dtype '${descr[1]}${descr[2]}', expected '<f4' or '<f8'`);
  }
  if (order[1] === "True") {
    throw fail("is in Fortran order, expected C order");
  }
  const parts = tuple[1].split(",").map((s) => s.trim()).filter((s) => s);
  const shape = parts.map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw fail(`has a malformed shape (${tuple[1]})`);
  }
  return { dtype, littleEndian: descr[1] !== ">", shape };
}
