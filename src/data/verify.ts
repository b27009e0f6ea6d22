/**
 * Verification of a dataset's stored files: the structure (magic numbers,
 * counts, shapes, labels), then the checksum kept in the spec. Verification
 * hands back the parsed content, so that loading never reads a file twice
 * and never sees bytes that were not verified.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import { type CifarBatch, parseCifarBatch, readCifarArchive } from "./cifar.ts";
import { checkDigests, digestBytes, Hasher } from "./hash.ts";
import { idxMagic, parseIdx } from "./idx.ts";
import type { DatasetSpec, FileSpec } from "./spec.ts";

/** Images and labels of one original split, as bytes. */
export interface RawSplit {
  /** `count × height × width × channels` bytes, NHWC. */
  images: Uint8Array;
  /** One label per image. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** A stored file that passed verification, with what it holds. */
export interface VerifiedContent {
  /** SHA-256 of the stored file. */
  sha256: string;
  /** The IDX elements, for an IDX file. */
  idx?: Uint8Array;
  /** Both original splits, for an archive holding a whole dataset. */
  splits?: { train: RawSplit; test: RawSplit };
}

/** What to verify: which file, its bytes or where they are, its name. */
export interface VerifyTarget {
  /** Which file of the dataset the bytes should be. */
  file: FileSpec;
  /** The path or URL named in errors. */
  name: string;
  /** The bytes, when they are in memory. */
  bytes?: Uint8Array;
  /** The file to read them from, when they are not. */
  path?: string;
}

/**
 * Verify one stored file of a dataset.
 *
 * @param spec The dataset the file belongs to.
 * @param target The file, and its bytes or path.
 * @throws {UserError} On a checksum mismatch or a structural problem.
 */
export async function verifyContent(
  spec: DatasetSpec,
  target: VerifyTarget,
): Promise<VerifiedContent> {
  const { file, name } = target;
  if (file.role === "archive") return await verifyArchive(spec, target);
  const bytes = target.bytes ?? await Deno.readFile(target.path!);
  // Structure first: its errors say more than a checksum mismatch.
  const idx = checkIdx(spec, { file, name, bytes });
  const digests = digestBytes(bytes);
  checkDigests(digests, { sha256: file.sha256, md5: file.md5, name });
  return { sha256: digests.sha256, idx };
}

function checkIdx(
  spec: DatasetSpec,
  target: VerifyTarget & { bytes: Uint8Array },
): Uint8Array {
  const { file, name, bytes } = target;
  const { dims, data } = parseIdx(bytes, name);
  const count = file.role.startsWith("train")
    ? spec.trainCount
    : spec.testCount;
  const images = file.role.endsWith("images");
  const want = images ? [count, spec.height, spec.width] : [count];
  if (images && spec.channels !== 1) {
    throw new Error(`IDX images have one channel, spec says ${spec.channels}`);
  }
  if (dims.length !== want.length) {
    throw new UserError(
      `${name} has magic number 0x${
        idxMagic(dims.length).toString(16).padStart(8, "0")
      } (${dims.length} dimensions), expected 0x${
        idxMagic(want.length).toString(16).padStart(8, "0")
      } for ${images ? "images" : "labels"}`,
    );
  }
  if (dims.some((d, i) => d !== want[i])) {
    throw new UserError(
      `${name} holds ${dims.join("×")} ${images ? "images" : "labels"}, ` +
        `expected ${want.join("×")}`,
    );
  }
  if (!images) checkLabels(data, { classes: spec.classes, name });
  return data;
}

function checkLabels(
  labels: Uint8Array,
  expected: { classes: number; name: string },
): void {
  const { classes, name } = expected;
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new UserError(
      `${name} has label ${labels[bad]} at index ${bad}, expected 0–${
        classes - 1
      }`,
    );
  }
}

async function verifyArchive(
  spec: DatasetSpec,
  target: VerifyTarget,
): Promise<VerifiedContent> {
  const { file, name } = target;
  // Parse while hashing; nothing leaves before the checksum passes.
  const hasher = new Hasher();
  const stream = target.bytes
    ? new Blob([target.bytes as Uint8Array<ArrayBuffer>]).stream()
    : (await Deno.open(target.path!)).readable;
  const archive = await readCifarArchive(
    stream.pipeThrough(hasher.tap()),
    name,
  );
  const train = joinBatches(
    archive.train.map((b, i) => parseCifarBatch(b, `${name}:batch ${i + 1}`)),
  );
  const test = parseCifarBatch(archive.test, `${name}:test_batch`);
  checkCount(train.count, {
    want: spec.trainCount,
    what: `${name} training batches`,
  });
  checkCount(test.count, { want: spec.testCount, what: `${name} test batch` });
  const digests = hasher.digest();
  checkDigests(digests, { sha256: file.sha256, md5: file.md5, name });
  return { sha256: digests.sha256, splits: { train, test } };
}

function checkCount(
  count: number,
  expected: { want: number; what: string },
): void {
  const { want, what } = expected;
  if (count !== want) {
    throw new UserError(`${what} hold ${count} images, expected ${want}`);
  }
}

function joinBatches(batches: CifarBatch[]): RawSplit {
  const count = batches.reduce((n, b) => n + b.count, 0);
  const pixels = batches[0].images.length / batches[0].count;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const b of batches) {
    images.set(b.images, at * pixels);
    labels.set(b.labels, at);
    at += b.count;
  }
  return { images, labels, count };
}
