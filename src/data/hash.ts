/**
 * Checksums of bytes, files and streams: SHA-256, and MD5 where a dataset
 * publishes nothing else.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { UserError } from "../cli/errors.ts";

/** Digests of the same bytes, lowercase hex. */
export interface Digests {
  /** SHA-256 of the bytes. */
  sha256: string;
  /** MD5 of the bytes. */
  md5: string;
  /** How many bytes were hashed. */
  bytes: number;
}

/** A running SHA-256 and MD5 over bytes fed in order. */
export class Hasher {
  #sha256: Hash = createHash("sha256");
  #md5: Hash = createHash("md5");
  #bytes = 0;

  /** Feed the next chunk. */
  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#md5.update(chunk);
    this.#bytes += chunk.length;
  }

  /** The digests of everything fed so far; call once. */
  digest(): Digests {
    return {
      sha256: this.#sha256.digest("hex"),
      md5: this.#md5.digest("hex"),
      bytes: this.#bytes,
    };
  }

  /** A pass-through stream that feeds every chunk to this hasher. */
  tap(): TransformStream<Uint8Array, Uint8Array> {
    return new TransformStream({
      transform: (chunk, controller) => {
        this.update(chunk);
        controller.enqueue(chunk);
      },
    });
  }
}

/** Hash bytes already in memory. */
export function digestBytes(bytes: Uint8Array): Digests {
  const hasher = new Hasher();
  hasher.update(bytes);
  return hasher.digest();
}

/** Hash a file by streaming it. */
export async function digestFile(path: string): Promise<Digests> {
  const hasher = new Hasher();
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hasher.update(chunk);
  return hasher.digest();
}

/** Expected checksums; either may be absent. */
export interface Expected {
  /** Lowercase hex SHA-256. */
  sha256?: string;
  /** Lowercase hex MD5. */
  md5?: string;
}

/** Expected checksums of a named file. */
export interface DigestCheck extends Expected {
  /** The file or URL, named in the error. */
  name: string;
}

/**
 * Compare digests with the expected checksums.
 *
 * @param digests What the bytes hash to.
 * @param expected What they should hash to, and the name for errors.
 * @throws {UserError} On a mismatch.
 */
export function checkDigests(digests: Digests, expected: DigestCheck): void {
  const { name } = expected;
  if (expected.sha256 && digests.sha256 !== expected.sha256) {
    throw new UserError(
      `${name} has SHA-256 ${digests.sha256}, expected ${expected.sha256} ` +
        `(checksum mismatch: corrupt or different file)`,
    );
  }
  if (expected.md5 && digests.md5 !== expected.md5) {
    throw new UserError(
      `${name} has MD5 ${digests.md5}, expected ${expected.md5} ` +
        `(checksum mismatch: corrupt or different file)`,
    );
  }
}
