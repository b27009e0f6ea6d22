// deno-lint-ignore-file no-console
/**
 * `deno task train`: train a GAN and leave a run folder.
 *
 * @module
 */
import { parseFlags, readInt } from "../src/cli/args.ts";
import { formatDuration } from "../src/cli/format.ts";
import { parseBackend } from "../src/backend/select.ts";
import { describeDataEvent } from "../src/data/dataset.ts";
import { applyOverrides, type TrainConfig } from "../src/train/config.ts";
import { DEFAULT_PRESET, getPreset, PRESETS } from "../src/train/presets.ts";
import { COLLAPSE_THRESHOLDS } from "../src/train/coverage.ts";
import { readRunConfig } from "../src/train/sampling.ts";
import type { StepMetrics } from "../src/train/session.ts";
import { train, type TrainEvent } from "../src/train/train.ts";
import { Progress, runTask } from "./_terminal.ts";

const USAGE = `usage: deno task train [options]

  --preset NAME           a preset (default ${DEFAULT_PRESET}); see --list-presets
  --list-presets          list the presets and exit
  --set KEY=VALUE         override any config field (repeatable)
  --steps N               training steps
  --batch-size N          minibatch size
  --seed N                random seed
  --backend B             auto | webgpu | wasm | cpu (default auto)
  --threads N             wasm threads, 1 to 8 (default: every core, at most 8)
  --out DIR               root of run folders (default models)
  --data-dir DIR          dataset folder (default data)
  --tag TEXT              suffix for the run folder (default: the preset)
  --checkpoint-every N    steps between sample grids and checkpoints
  --coverage-every N      steps between mode-coverage checks (default 0:
                          none; MNIST and Fashion-MNIST only): classes
                          covered and their JSD go to metrics.csv, and a
                          collapse prints a warning. The first use trains
                          a classifier (under a minute), cached under
                          OUT/_classifiers/
  --resume RUN_FOLDER     continue a stopped run from its latest checkpoint
  -h, --help              show this help`;

const FLAGS = {
  preset: { type: "string" },
  "list-presets": { type: "boolean" },
  set: { type: "string", multiple: true },
  steps: { type: "string" },
  "batch-size": { type: "string" },
  seed: { type: "string" },
  backend: { type: "string" },
  threads: { type: "string" },
  out: { type: "string" },
  "data-dir": { type: "string" },
  tag: { type: "string" },
  "checkpoint-every": { type: "string" },
  "coverage-every": { type: "string" },
  resume: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Build the run's config from the flags. */
async function resolveConfig(
  flags: ReturnType<typeof parseFlags<typeof FLAGS>>,
): Promise<TrainConfig> {
  let config: TrainConfig;
  if (flags.resume) {
    config = await readRunConfig(flags.resume);
  } else {
    config = getPreset(flags.preset ?? DEFAULT_PRESET);
    if (config.preset !== DEFAULT_PRESET) config.tag = config.preset;
  }
  const sets = [...(flags.set ?? [])];
  const ints: [string, keyof TrainConfig, number][] = [
    ["steps", "steps", 0],
    ["batch-size", "batchSize", 1],
    ["seed", "seed", 0],
    ["checkpoint-every", "checkpointEvery", 1],
    ["coverage-every", "coverageEvery", 0],
  ];
  for (const [flag, key, min] of ints) {
    const v = readInt(flag, flags[flag as keyof typeof flags] as string, {
      min,
    });
    if (v !== undefined) sets.push(`${key}=${v}`);
  }
  if (flags.backend) sets.push(`backend=${parseBackend(flags.backend)}`);
  if (flags.out !== undefined) sets.push(`out=${flags.out}`);
  if (flags["data-dir"] !== undefined) {
    sets.push(`dataDir=${flags["data-dir"]}`);
  }
  if (flags.tag !== undefined) sets.push(`tag=${flags.tag}`);
  return applyOverrides(config, sets);
}

function listPresets(): void {
  const width = Math.max(...PRESETS.map((p) => p.preset.length));
  for (const p of PRESETS) {
    console.log(
      `${p.preset.padEnd(width)}  ${p.dataset.padEnd(13)}  ${p.purpose}`,
    );
  }
}

/** Quote `path` for a POSIX shell when it needs it. */
function shellQuote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

function fmt(n: number): string {
  return n.toFixed(3);
}

/** What the terminal keeps between events. */
interface TermState {
  /** The training progress bar, from the start event on. */
  bar?: Progress;
  /** The coverage classifier's training bar, on its first use. */
  classifierBar?: Progress;
  /** The latest coverage check, for the progress suffix. */
  coverage?: { text: string; collapsed: boolean };
}

/** The progress suffix: losses, then the latest coverage check. */
function suffix(m: StepMetrics | undefined, state: TermState): string {
  const parts = [];
  if (m) {
    parts.push(`D ${fmt(m.dLossReal)}/${fmt(m.dLossFake)} G ${fmt(m.gLoss)}`);
  }
  if (state.coverage) parts.push(state.coverage.text);
  return parts.join(" ");
}

function printCoverage(
  event: Extract<TrainEvent, { type: "coverage" }>,
  state: TermState,
): void {
  const was = state.coverage?.collapsed ?? false;
  state.coverage = {
    text: `modes ${event.classesCovered}/${event.classes}`,
    collapsed: event.collapsed,
  };
  const log = state.bar?.log.bind(state.bar) ?? console.log;
  const figures = `${event.classesCovered}/${event.classes} classes ` +
    `covered, JSD ${event.jsd.toFixed(3)} nats from the real classes`;
  if (event.collapsed && !was) {
    const { minClassShare, maxJsd } = COLLAPSE_THRESHOLDS;
    log(
      `warning: modes collapsed at step ${event.step}: ${figures} ` +
        `(collapse: under ${Math.ceil(minClassShare * event.classes)} ` +
        `classes or over ${maxJsd} nats)`,
    );
  } else if (!event.collapsed && was) {
    log(`modes recovered at step ${event.step}: ${figures}`);
  }
}

function printEvent(event: TrainEvent, state: TermState): void {
  switch (event.type) {
    case "data": {
      const line = describeDataEvent(event.event);
      if (line) console.log(line);
      break;
    }
    case "start": {
      const { config, backend, dataset, parameters, paths } = event;
      const adapter = backend.adapter
        ? `${backend.adapter}${backend.fallbackAdapter ? " (fallback)" : ""}`
        : "none";
      console.log(`webgan train · preset ${config.preset}`);
      console.log(
        `  dataset   ${dataset.name}: ${dataset.train} training images of ${
          dataset.shape.join("×")
        }`,
      );
      const threads = backend.threads ? `, ${backend.threads} thread(s)` : "";
      console.log(`  backend   ${backend.name}${threads} (${backend.reason})`);
      console.log(`  adapter   ${adapter}`);
      console.log(
        `  params    G ${parameters.generator.toLocaleString("en")} · D ${
          parameters.discriminator.toLocaleString("en")
        }`,
      );
      console.log(
        `  compute   ${(event.flopsPerStep / 1e9).toFixed(2)} GFLOP per step`,
      );
      console.log(
        `  schedule  ${config.steps} steps, batch ${config.batchSize}, ` +
          `k=${config.discriminatorSteps}, ${config.updates} updates, ` +
          `seed ${config.seed}`,
      );
      console.log(`  run       ${paths.root}`);
      if (event.resumedFrom !== undefined) {
        console.log(`  resumed   from step ${event.resumedFrom}`);
      }
      if (event.coverage) {
        const { every, classifier: c } = event.coverage;
        const accuracy = `${(c.testAccuracy * 100).toFixed(1)} % test accuracy`;
        console.log(
          `  modes     every ${every} steps; classifier ${
            c.folder ?? "given"
          } (${c.source}, ${accuracy})`,
        );
      }
      state.bar = new Progress("train", config.steps, {
        initial: event.resumedFrom ?? 0,
      });
      break;
    }
    case "classifier-progress": {
      const p = event.progress;
      const total = p.epochs * p.stepsPerEpoch;
      if (!state.classifierBar) {
        console.log(
          `training the classifier for mode coverage (first use, about 3 ` +
            `minutes on 2 cores; cached under ${event.folder})`,
        );
        state.classifierBar = new Progress("classifier", total);
      }
      const done = (p.epoch - 1) * p.stepsPerEpoch + p.step;
      const detail = `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)}`;
      if (done === total) state.classifierBar.done(done, detail);
      else state.classifierBar.update(done, detail);
      break;
    }
    case "coverage":
      printCoverage(event, state);
      break;
    case "progress":
      state.bar?.update(event.step, suffix(event.metrics, state));
      break;
    case "skipped-checkpoint":
      (state.bar?.log ?? console.log)(
        `warning: skipping checkpoint at step ${event.step}: ${event.reason}`,
      );
      break;
    case "checkpoint":
    case "done":
      break;
  }
}

/** Run the task with command-line `args`; returns the exit code. */
export async function main(
  args: string[] = Deno.args,
): Promise<number> {
  const flags = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (flags["list-presets"]) {
    listPresets();
    return 0;
  }
  const config = await resolveConfig(flags);

  const controller = new AbortController();
  let signalName: "SIGINT" | "SIGTERM" | undefined;
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    if (signalName) Deno.exit(name === "SIGINT" ? 130 : 143);
    signalName = name;
    controller.abort();
  };
  const handlers = {
    SIGINT: onSignal("SIGINT"),
    SIGTERM: onSignal("SIGTERM"),
  };
  for (const [name, fn] of Object.entries(handlers)) {
    Deno.addSignalListener(name as Deno.Signal, fn);
  }

  const state: TermState = {};
  const result = await train(config, {
    resume: flags.resume,
    threads: readInt("threads", flags.threads, { min: 1, max: 8 }),
    signal: controller.signal,
    onEvent: (e) => printEvent(e, state),
  });
  const last = result.last;
  state.bar?.done(result.step, suffix(last, state));
  if (result.interrupted) {
    console.log(
      `stopped by ${signalName} at step ${result.step}; checkpoint written.`,
    );
    console.log(
      `resume with: deno task train --resume ${shellQuote(result.paths.root)}`,
    );
    return signalName === "SIGTERM" ? 143 : 130;
  }
  console.log(
    `done: ${result.step} steps in ${formatDuration(result.seconds)}` +
      (last
        ? ` · D(real) ${fmt(last.dLossReal)} D(fake) ${fmt(last.dLossFake)} G ${
          fmt(last.gLoss)
        }`
        : ""),
  );
  console.log(`run folder: ${result.paths.root}`);
  return 0;
}

if (import.meta.main) await runTask(() => main());
