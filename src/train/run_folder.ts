/**
 * Run folders: `<out>/<dataset>/<MM_DD_YYYY>/<HH_MM_SS>[_<tag>]/`, one per
 * training run, holding its config, samples, metrics and checkpoints.
 *
 * @module
 */
import { join } from "node:path";

/** The paths inside a run folder. */
export interface RunPaths {
  /** The run folder itself. */
  root: string;
  /** `config.json`: the resolved config and the environment. */
  config: string;
  /** `metrics.csv`: one row per step. */
  metricsCsv: string;
  /** `metrics.png`: losses and discriminator error. */
  metricsPng: string;
  /** `samples/`: the sample grids. */
  samples: string;
  /** `checkpoints/`. */
  checkpoints: string;
}

/** The paths of the run folder `root`. */
export function runPaths(root: string): RunPaths {
  return {
    root,
    config: join(root, "config.json"),
    metricsCsv: join(root, "metrics.csv"),
    metricsPng: join(root, "metrics.png"),
    samples: join(root, "samples"),
    checkpoints: join(root, "checkpoints"),
  };
}

/** The sample grid written at `step`, or the final one. */
export function samplePath(paths: RunPaths, step: number | "final"): string {
  return join(paths.samples, step === "final" ? "final.png" : `cp_${step}.png`);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Turn a tag into a folder-safe suffix: `mode-collapse` → `mode_collapse`. */
export function sanitizeTag(tag: string): string {
  return tag.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

/**
 * Create a new, empty run folder for `dataset` at time `now`. When the name
 * is taken (two runs in one second), a counter is appended.
 *
 * @returns The paths of the new folder.
 */
export async function createRunFolder(
  out: string,
  options: { dataset: string; tag?: string; now?: Date },
): Promise<RunPaths> {
  const now = options.now ?? new Date();
  const day = `${pad(now.getMonth() + 1)}_${
    pad(now.getDate())
  }_${now.getFullYear()}`;
  const time = `${pad(now.getHours())}_${pad(now.getMinutes())}_${
    pad(now.getSeconds())
  }`;
  const tag = sanitizeTag(options.tag ?? "");
  const base = join(out, options.dataset, day, tag ? `${time}_${tag}` : time);
  await Deno.mkdir(join(out, options.dataset, day), { recursive: true });
  for (let i = 0;; i++) {
    const root = i === 0 ? base : `${base}_${i + 1}`;
    try {
      await Deno.mkdir(root);
      const paths = runPaths(root);
      await Deno.mkdir(paths.samples);
      await Deno.mkdir(paths.checkpoints);
      return paths;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
  }
}
