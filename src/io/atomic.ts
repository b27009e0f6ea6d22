/**
 * Writes that never leave a half-written file behind: data goes to a
 * temporary file beside the target, is flushed, and is then renamed over it.
 * A crash at any moment leaves either the old file or the new one.
 *
 * @module
 */
import { dirname } from "node:path";

function tempPath(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${path}.tmp-${Deno.pid}-${rand}`;
}

/**
 * Write bytes to `path` atomically, creating the parent folder if needed.
 *
 * @param path The file to write.
 * @param data The bytes to store.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPath(path);
  try {
    const file = await Deno.open(tmp, { write: true, create: true });
    try {
      let off = 0;
      while (off < data.length) off += await file.write(data.subarray(off));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Write text to `path` atomically, as UTF-8.
 *
 * @param path The file to write.
 * @param text The text to store.
 */
export async function writeTextAtomic(
  path: string,
  text: string,
): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(text));
}

/**
 * Write a value as pretty-printed JSON to `path` atomically.
 *
 * @param path The file to write.
 * @param value Anything `JSON.stringify` accepts.
 */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
): Promise<void> {
  await writeTextAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
