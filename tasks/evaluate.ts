// deno-lint-ignore-file no-console
/**
 * `deno task evaluate`: score a run's generator with the paper's Parzen
 * window log-likelihood and with classifier-based mode coverage, each
 * beside the same figure for real data; write `eval.json` into the run
 * folder and print a table.
 *
 * It reads the data, the run and the npm cache, and writes only the run's
 * `eval.json` and the classifier cache under the models folder, so it runs
 * with `--allow-read --allow-write=models`.
 *
 * @module
 */
import { join } from "node:path";
import { parseBackend, selectBackend } from "../src/backend/select.ts";
import { parseFlags, readInt } from "../src/cli/args.ts";
import { UserError } from "../src/cli/errors.ts";
import { formatDuration } from "../src/cli/format.ts";
import {
  type Dataset,
  describeDataEvent,
  loadDataset,
} from "../src/data/dataset.ts";
import { classifierFolder } from "../src/eval/classifier.ts";
import {
  EVAL_FILE,
  EVAL_METRICS,
  type EvalEvent,
  evaluateRun,
  type EvaluateRunOptions,
  formatReportTable,
  inspectRun,
  parseMetric,
  reportToJson,
  type RunInfo,
} from "../src/eval/report.ts";
import { writeTextAtomic } from "../src/io/atomic.ts";
import { Progress, runTask } from "./_terminal.ts";

const USAGE = `usage: deno task evaluate --run RUN_FOLDER [options]

  --run DIR               the run folder to evaluate (required)
  --metric M              ${EVAL_METRICS.join(" | ")} (default all)
  --samples N             generated samples to draw (default 10000)
  --checkpoint C          final (the newest intact checkpoint) or a step
                          (default final)
  --seed S                seed of the noise z (default 0)
  --validation-count N    validation images that choose σ (default 1000)
  --test-count N          test images scored (default all 10000); fewer
                          for a quick look, not for comparison
  --backend B             auto | webgpu | wasm | cpu (default auto)
  --data-dir DIR          dataset folder (default: the run's dataDir)
  --models-dir DIR        where the classifier is cached (default models)
  -h, --help              show this help

Parzen: σ from 10 values in [0.1, 1] is chosen on the validation images
(MNIST: training images 50000 onwards), then the test images are scored;
mean ± standard error in nats. Reference row: as many real training images
as samples, scored as if they were samples (MNIST, 10000: about 240 nats).

Modes: a classifier (trained on first use, under a minute, then cached
under <models-dir>/_classifiers/) labels every sample; the table shows the
classes covered (≥ 1 % of the samples), KL and JSD of the class histogram
against the training labels' distribution, the mean confidence and the
Fréchet distance of the penultimate features to real training images'.
Reference row: the real test images judged the same way. CIFAR-10 runs get
the Parzen figures only (no classifier judges its classes well enough).

The task writes eval.json into the run folder; a run folder outside
./models needs its own write grant:
  deno run --allow-read --allow-write=models,RUN_FOLDER --allow-env \\
    tasks/evaluate.ts --run RUN_FOLDER`;

const FLAGS = {
  run: { type: "string" },
  metric: { type: "string" },
  samples: { type: "string" },
  checkpoint: { type: "string" },
  seed: { type: "string" },
  "validation-count": { type: "string" },
  "test-count": { type: "string" },
  backend: { type: "string" },
  "data-dir": { type: "string" },
  "models-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Flags = ReturnType<typeof parseFlags<typeof FLAGS>>;

/** The flags, checked, as options of `evaluateRun`. */
function readOptions(
  flags: Flags,
): EvaluateRunOptions & { run: string; modelsDir: string } {
  if (!flags.run) throw new UserError("--run RUN_FOLDER is required");
  const cp = flags.checkpoint ?? "final";
  return {
    run: flags.run,
    metric: parseMetric(flags.metric ?? "all"),
    samples: readInt("samples", flags.samples, { min: 1 }) ?? 10_000,
    checkpoint: cp === "final"
      ? "final"
      : readInt("checkpoint", cp, { min: 0 })!,
    seed: readInt("seed", flags.seed, { min: 0 }) ?? 0,
    validationCount: readInt("validation-count", flags["validation-count"], {
      min: 1,
    }),
    testCount: readInt("test-count", flags["test-count"], { min: 1 }),
    dataDir: flags["data-dir"],
    modelsDir: flags["models-dir"] ?? "models",
  };
}

function isPermissionError(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable ||
    err instanceof Deno.errors.PermissionDenied;
}

/** Refuse before any work when a file the task must write is not granted. */
async function checkWrites(
  info: RunInfo,
  options: { metric: string; modelsDir: string },
): Promise<void> {
  const out = join(info.runDir, EVAL_FILE);
  const grant = `grant it with --allow-write=models,${info.runDir} (or ` +
    `evaluate a run under ./models)`;
  if (!await canWrite(out)) {
    throw new UserError(`no permission to write ${out}; ${grant}`);
  }
  const folder = classifierFolder(options.modelsDir, info.config.dataset);
  const needsClassifier = options.metric !== "parzen" &&
    info.config.dataset !== "cifar10";
  if (needsClassifier && !await canWrite(folder)) {
    const cached = await Deno.stat(join(folder, "classifier.json")).then(
      () => true,
      () => false,
    );
    if (!cached) {
      throw new UserError(
        `no permission to write the classifier cache ${folder}; grant ` +
          `--allow-write for it or choose a --models-dir under ./models`,
      );
    }
  }
}

async function canWrite(path: string): Promise<boolean> {
  const status = await Deno.permissions.query({ name: "write", path });
  return status.state === "granted";
}

async function loadData(info: RunInfo, dataDir?: string): Promise<Dataset> {
  const dir = dataDir ?? info.config.dataDir;
  try {
    return await loadDataset(info.config.dataset, {
      dataDir: dir,
      range: "unit",
      onEvent: (event) => {
        if (event.type === "present" || event.type === "verified") return;
        const line = describeDataEvent(event);
        if (line) console.log(line);
      },
    });
  } catch (err) {
    if (!isPermissionError(err)) throw err;
    throw new UserError(
      `${info.config.dataset} is not ready under ${dir} and evaluate may ` +
        `not fetch it; run deno task download --dataset ` +
        `${info.config.dataset} --data-dir ${dir} first`,
    );
  }
}

const STAGE_NAMES = {
  "sample": "sample",
  "parzen-generated": "parzen G",
  "parzen-reference": "parzen ref",
  "classifier-train": "classifier",
  "classify": "classify",
} as const;

/** Print events: one line per stage, and a progress bar under it. */
function eventPrinter(): {
  onEvent: (event: EvalEvent) => void;
  finish: () => void;
} {
  let bar: Progress | undefined;
  let last = { done: 0, detail: "" };
  const finish = () => {
    bar?.done(last.done, last.detail);
    bar = undefined;
  };
  const onEvent = (event: EvalEvent) => {
    switch (event.type) {
      case "data": {
        const line = describeDataEvent(event.event);
        if (line) console.log(line);
        break;
      }
      case "skipped-checkpoint":
        console.log(
          `warning: skipping checkpoint at step ${event.step}: ${event.reason}`,
        );
        break;
      case "generator":
        console.log(
          `generator: ${event.checkpointPath} (step ${event.step})`,
        );
        break;
      case "stage":
        finish();
        console.log(event.label);
        bar = new Progress(STAGE_NAMES[event.stage], event.total);
        last = { done: 0, detail: "" };
        break;
      case "progress":
        last = { done: event.done, detail: event.detail ?? "" };
        bar?.update(event.done, last.detail);
        break;
      case "classifier": {
        finish();
        const { info } = event;
        console.log(
          `classifier: ${info.source}, test accuracy ${
            (100 * info.testAccuracy).toFixed(1)
          } % (${info.folder})`,
        );
        break;
      }
    }
  };
  return { onEvent, finish };
}

/** Run the task with command-line `args`; returns the exit code. */
export async function main(args: string[] = Deno.args): Promise<number> {
  const flags = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const { run, ...options } = readOptions(flags);
  const info = await inspectRun(run);
  await checkWrites(info, {
    metric: options.metric ?? "all",
    modelsDir: options.modelsDir,
  });
  const backend = await selectBackend(parseBackend(flags.backend ?? "auto"));
  console.log(
    `webgan evaluate · ${run} · ${info.config.dataset} · backend ` +
      `${backend.name}`,
  );
  const dataset = await loadData(info, options.dataDir);

  const printer = eventPrinter();
  const report = await evaluateRun(run, {
    ...options,
    dataset,
    onEvent: printer.onEvent,
  }).catch((err) => {
    if (!isPermissionError(err)) throw err;
    // The classifier cache, when a stale one must be replaced.
    throw new UserError(
      `${err.message.split("\n")[0]}; grant --allow-write for that ` +
        `folder or choose a --models-dir under ./models`,
    );
  }).finally(printer.finish);

  const out = join(run, EVAL_FILE);
  try {
    await writeTextAtomic(out, reportToJson(report));
  } catch (err) {
    if (!isPermissionError(err)) throw err;
    throw new UserError(
      `no permission to write ${out}; grant it with ` +
        `--allow-write=models,${run}`,
    );
  }
  console.log("");
  console.log(formatReportTable(report));
  console.log("");
  console.log(`wrote ${out} in ${formatDuration(report.seconds)}`);
  return 0;
}

if (import.meta.main) await runTask(() => main());
