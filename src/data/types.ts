/**
 * The shapes shared by webgan's data code: dataset and source names, splits,
 * and the events a download reports while it works.
 *
 * @module
 */

/** A dataset webgan can download and load. */
export type DatasetName = "mnist" | "fashion-mnist" | "cifar10";

/** Every accepted `--dataset` value. */
export const DATASET_NAMES: readonly DatasetName[] = [
  "mnist",
  "fashion-mnist",
  "cifar10",
];

/**
 * Where a dataset may come from: `auto` tries a verified local copy, then
 * the offline sources (`npm`, `system`), then the HTTP mirrors (`url`).
 */
export type SourceName = "auto" | "npm" | "system" | "url";

/** Every accepted `--source` value. */
export const SOURCE_NAMES: readonly SourceName[] = [
  "auto",
  "npm",
  "system",
  "url",
];

/** Where the files of a verified dataset came from. */
export type Provenance = "local" | "npm" | "system" | "url";

/** One split of a dataset as floats, ready for a model. */
export interface Split {
  /** `count × (height·width·channels)` pixels, NHWC, row-major. */
  images: Float32Array;
  /** One class index (0–9) per image. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Colour channels: 1 for MNIST, 3 for CIFAR-10. */
  channels: number;
}

/** A loaded dataset with the paper's train / validation / test split. */
export interface Dataset {
  /** Which dataset this is. */
  name: DatasetName;
  /** The training images. */
  train: Split;
  /** Held-out images from the original training set. */
  validation: Split;
  /** The original test set. */
  test: Split;
  /** Per-pixel mean of train, when demean was applied. */
  pixelMean?: Float32Array;
}

/** How a stored file stood when it was checked. */
export type FileStatus = "present" | "fetched" | "repaired";

/** A verified file of a dataset. */
export interface VerifiedFile {
  /** Its path under the data folder. */
  path: string;
  /** Its SHA-256, lowercase hex. */
  sha256: string;
  /**
   * `present` when a verified copy was already there, `fetched` when it was
   * missing, `repaired` when a bad copy was replaced.
   */
  status: FileStatus;
}

/** What {@linkcode ensureDataset} did. */
export interface EnsureResult {
  /** The sources used, comma-separated (`local` when nothing was fetched). */
  source: string;
  /** The offline folders or URLs the files came from. */
  origins: string[];
  /** Every stored file with its SHA-256. */
  files: VerifiedFile[];
}

/**
 * Something worth telling the user while a dataset is made ready. Library
 * code reports through these; the tasks decide how to print them.
 */
export type DataEvent =
  | { type: "present"; path: string; sha256: string }
  | { type: "invalid"; path: string; reason: string }
  | { type: "source"; source: Provenance; origin: string }
  | {
    type: "source-failed";
    source: Provenance;
    origin: string;
    reason: string;
  }
  | {
    type: "download-start";
    url: string;
    path: string;
    totalBytes: number;
    resumeFrom: number;
  }
  | {
    type: "download-progress";
    url: string;
    bytes: number;
    totalBytes: number;
    bytesPerSecond: number;
    etaSeconds: number;
  }
  | { type: "download-done"; url: string; bytes: number }
  | {
    type: "retry";
    url: string;
    attempt: number;
    delayMs: number;
    reason: string;
  }
  | { type: "verified"; path: string; sha256: string; status: FileStatus };
