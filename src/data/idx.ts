/**
 * The IDX format of MNIST and Fashion-MNIST: a big-endian magic number
 * `0x0000TTNN` (TT the element type, NN the number of dimensions), NN
 * big-endian 32-bit sizes, then the elements in row-major order.
 *
 * @see http://yann.lecun.com/exdb/mnist/ (bottom of the page)
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";

/** IDX element type for unsigned bytes, the only one MNIST uses. */
export const IDX_UBYTE = 0x08;

/** The magic number of an IDX file of unsigned bytes with `ndims` sizes. */
export function idxMagic(ndims: number): number {
  return (IDX_UBYTE << 8) | ndims;
}

/** A parsed IDX file. */
export interface IdxData {
  /** The sizes from the header, e.g. `[60000, 28, 28]`. */
  dims: number[];
  /** The elements, a view into the input bytes (no copy). */
  data: Uint8Array;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

/**
 * Parse an IDX file of unsigned bytes.
 *
 * @param bytes The whole file, decompressed.
 * @param name The file's name or URL, used in error messages.
 * @returns The sizes and a view of the elements.
 * @throws {UserError} On a wrong magic number, a truncated file or
 *   trailing bytes.
 *
 * @example
 * ```ts
 * const { dims, data } = parseIdx(await Deno.readFile(path), path);
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxData {
  if (bytes.length < 4) {
    throw new UserError(
      `${name} is truncated: ${bytes.length} bytes, expected at least an ` +
        `IDX header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = view.getUint32(0);
  const ndims = magic & 0xff;
  if (magic >>> 16 !== 0 || (magic >>> 8) !== IDX_UBYTE || ndims < 1) {
    throw new UserError(
      `${name} has magic number ${hex(magic)}, expected an IDX file of ` +
        `unsigned bytes (${hex(idxMagic(1))} for labels, ` +
        `${hex(idxMagic(3))} for images)`,
    );
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new UserError(
      `${name} is truncated: ${bytes.length} bytes, expected a ` +
        `${header}-byte IDX header`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size) {
    const what = bytes.length < header + size ? "is truncated" : "is too long";
    throw new UserError(
      `${name} ${what}: ${bytes.length} bytes, expected ${
        header + size
      } for dimensions ${dims.join("×")}`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}
