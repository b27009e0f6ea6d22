/**
 * CIFAR-10's binary format: `cifar-10-binary.tar.gz` holds five training
 * batches and one test batch, each a run of 3073-byte records: one label
 * byte (0–9), then 1024 red, 1024 green and 1024 blue bytes of a 32×32 image
 * in row-major order.
 *
 * @see https://www.cs.toronto.edu/~kriz/cifar.html
 *
 * @module
 */
import { extract } from "tar-stream";
import { UserError } from "../cli/errors.ts";
import { gzipError, inflate } from "./gzip.ts";

/** Image side in pixels. */
export const CIFAR_SIDE = 32;
/** Pixels of one image across its three colour planes. */
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE * 3;
/** Bytes of one record: the label byte and the image. */
export const CIFAR_RECORD = 1 + CIFAR_PIXELS;
/** Number of classes; every label is below it. */
export const CIFAR_CLASSES = 10;

/** The folder inside the archive. */
export const CIFAR_FOLDER = "cifar-10-batches-bin";
/** The training batches, in the order their records are numbered. */
export const CIFAR_TRAIN_BATCHES: readonly string[] = [1, 2, 3, 4, 5].map(
  (i) => `data_batch_${i}.bin`,
);
/** The test batch. */
export const CIFAR_TEST_BATCH = "test_batch.bin";

/** One parsed batch file. */
export interface CifarBatch {
  /** `count × 32 × 32 × 3` bytes, NHWC. */
  images: Uint8Array;
  /** One label per image, 0–9. */
  labels: Uint8Array;
  /** Number of records. */
  count: number;
}

/**
 * Parse a CIFAR-10 binary batch, reordering each image from planar (CHW) to
 * interleaved (HWC).
 *
 * @param bytes The batch file.
 * @param name The file's name, used in error messages.
 * @returns The images (NHWC), labels and record count.
 * @throws {UserError} When the size is not a whole number of records or a
 *   label is not 0–9.
 */
export function parseCifarBatch(bytes: Uint8Array, name: string): CifarBatch {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
    throw new UserError(
      `${name} is ${bytes.length} bytes, expected a whole number of ` +
        `${CIFAR_RECORD}-byte CIFAR-10 records (truncated or not a batch)`,
    );
  }
  const count = bytes.length / CIFAR_RECORD;
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const rec = i * CIFAR_RECORD;
    const label = bytes[rec];
    if (label >= CIFAR_CLASSES) {
      throw new UserError(
        `${name} record ${i} has label ${label}, expected 0–9`,
      );
    }
    labels[i] = label;
    const out = i * CIFAR_PIXELS;
    for (let p = 0; p < plane; p++) {
      images[out + 3 * p] = bytes[rec + 1 + p];
      images[out + 3 * p + 1] = bytes[rec + 1 + plane + p];
      images[out + 3 * p + 2] = bytes[rec + 1 + 2 * plane + p];
    }
  }
  return { images, labels, count };
}

/** The raw batch files of a CIFAR-10 archive. */
export interface CifarArchive {
  /** The five training batches, in order. */
  train: Uint8Array[];
  /** The test batch. */
  test: Uint8Array;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const part of parts) {
    out.set(part, off);
    off += part.length;
  }
  return out;
}

/**
 * Read the batch files out of a CIFAR-10 binary `tar.gz`, as a stream: the
 * archive is gunzipped and untarred chunk by chunk, keeping only the six
 * batch files.
 *
 * @param stream The archive's bytes.
 * @param name The file or URL, named in errors.
 * @throws {UserError} When the data is not gzip, not a tar, or lacks a
 *   batch file.
 */
export async function readCifarArchive(
  stream: ReadableStream<Uint8Array>,
  name: string,
): Promise<CifarArchive> {
  const wanted = new Set([...CIFAR_TRAIN_BATCHES, CIFAR_TEST_BATCH]);
  const members = new Map<string, Uint8Array>();
  const untar = extract();
  let feedError: unknown;
  const feeding = feed(stream, untar).catch((err) => {
    feedError = err;
    untar.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  try {
    for await (const entry of untar) {
      const parts: Uint8Array[] = [];
      for await (const chunk of entry) parts.push(chunk as Uint8Array);
      const base = entry.header.name.split("/").pop() ?? "";
      if (entry.header.type === "file" && wanted.has(base)) {
        members.set(base, concat(parts));
      }
    }
  } catch (err) {
    untar.destroy();
    await feeding;
    if (feedError instanceof UserError) throw feedError;
    if (feedError) throw gzipError(name, feedError);
    throw new UserError(
      `${name} is not a valid tar archive (${
        (err as Error).message
      }), expected CIFAR-10's binary tar.gz`,
    );
  }
  await feeding;
  if (feedError instanceof UserError) throw feedError;
  if (feedError) throw gzipError(name, feedError);
  for (const member of wanted) {
    if (!members.has(member)) {
      throw new UserError(
        `${name} lacks ${CIFAR_FOLDER}/${member}, expected CIFAR-10's ` +
          `binary archive with ${[...wanted].join(", ")}`,
      );
    }
  }
  return {
    train: CIFAR_TRAIN_BATCHES.map((b) => members.get(b)!),
    test: members.get(CIFAR_TEST_BATCH)!,
  };
}

type Untar = ReturnType<typeof extract>;

async function feed(
  stream: ReadableStream<Uint8Array>,
  untar: Untar,
): Promise<void> {
  const inflated = stream.pipeThrough(inflate());
  for await (const chunk of inflated) {
    if (untar.destroyed) return;
    if (!untar.write(chunk)) await drained(untar);
  }
  untar.end(undefined);
}

function drained(untar: Untar): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      untar.off("drain", done);
      untar.off("close", done);
      resolve();
    };
    untar.on("drain", done);
    untar.on("close", done);
  });
}
