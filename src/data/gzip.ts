/**
 * Gunzip through the platform's `DecompressionStream`, turning its terse
 * errors into messages that name the file.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";

/** The two bytes every gzip stream starts with. */
export const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Whether `bytes` starts like gzip data. */
export function looksGzipped(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** A transform that gunzips, typed for `Uint8Array` streams. */
export function inflate(): TransformStream<Uint8Array, Uint8Array> {
  return new DecompressionStream("gzip") as unknown as TransformStream<
    Uint8Array,
    Uint8Array
  >;
}

/**
 * The error for gzip data that does not decompress.
 *
 * @param name The file or URL.
 * @param err What `DecompressionStream` threw.
 */
export function gzipError(name: string, err: unknown): UserError {
  const why = err instanceof Error ? err.message : String(err);
  return new UserError(
    `${name} is not valid gzip data (${why}), expected a complete .gz file`,
  );
}

/**
 * Decompress gzip bytes in memory.
 *
 * @param bytes The compressed bytes.
 * @param name The file or URL, named in errors.
 * @throws {UserError} When the data is not complete, valid gzip.
 */
export async function gunzip(
  bytes: Uint8Array,
  name: string,
): Promise<Uint8Array> {
  if (!looksGzipped(bytes)) {
    throw new UserError(
      `${name} does not start with the gzip magic bytes 1f 8b, expected a ` +
        `.gz file`,
    );
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw gzipError(name, err);
  }
}
