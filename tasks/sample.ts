// deno-lint-ignore-file no-console
/**
 * `deno task sample`: draw samples from a trained generator, as a PNG grid
 * or a NumPy `.npy` file, or walk its latent space.
 *
 * It reads the run folder and writes only the output file, so it runs with
 * `--allow-read --allow-write=<output folder>`.
 *
 * @module
 */
import { parseBackend, selectBackend } from "../src/backend/select.ts";
import { parseFlags, readInt } from "../src/cli/args.ts";
import { UserError } from "../src/cli/errors.ts";
import { imageGrid } from "../src/io/grid.ts";
import { writeNpy } from "../src/io/npy.ts";
import { writePng } from "../src/io/png.ts";
import { type LoadedGenerator, loadGenerator } from "../src/train/sampling.ts";
import { runTask } from "./_terminal.ts";

const USAGE = `usage: deno task sample --run RUN_FOLDER [options]

  --run DIR             the run folder to sample from (required)
  --checkpoint C        final (the newest intact checkpoint) or a step
                        (default final)
  --count N             samples, or walks with --interpolate
                        (default 100, or 8 with --interpolate)
  --seed S              seed of the noise z; same seed, same samples
                        (default 0)
  --format F            png (a grid) or npy (float32 values) (default png)
  --out PATH            the file to write (default ./samples.<format>, or
                        ./interpolation.<format> with --interpolate)
  --interpolate         walk the latent space: one row per walk between
                        two random z, linear interpolation, ends included
  --frames N            images along each walk (default 10)
  --backend B           auto | webgpu | wasm | cpu (default auto)
  -h, --help            show this help

npy layout: float32, C order, shape (N, H·W·C) with each row one image in
row-major H×W×C order, e.g. (N, 784) for MNIST and (N, 3072) for CIFAR-10;
with --interpolate (WALKS, FRAMES, H·W·C). Values are in the model's data
range: [0, 1] for the paper presets, [-1, 1] for data.range "symmetric".

The task writes only the output file: a default-path run needs just
  deno run --allow-read --allow-write=. tasks/sample.ts --run DIR`;

const FLAGS = {
  run: { type: "string" },
  checkpoint: { type: "string" },
  count: { type: "string" },
  seed: { type: "string" },
  format: { type: "string" },
  out: { type: "string" },
  interpolate: { type: "boolean" },
  frames: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Flags = ReturnType<typeof parseFlags<typeof FLAGS>>;

/** What the flags ask for, checked. */
interface Request {
  run: string;
  checkpoint: "final" | number;
  count: number;
  seed: number;
  format: "png" | "npy";
  out: string;
  frames?: number;
}

function readRequest(flags: Flags): Request {
  if (!flags.run) throw new UserError("--run RUN_FOLDER is required");
  const format = flags.format ?? "png";
  if (format !== "png" && format !== "npy") {
    throw new UserError(`--format must be png or npy; got "${format}"`);
  }
  const cp = flags.checkpoint ?? "final";
  const checkpoint = cp === "final"
    ? "final"
    : readInt("checkpoint", cp, { min: 0 })!;
  if (!flags.interpolate && flags.frames !== undefined) {
    throw new UserError("--frames only applies with --interpolate");
  }
  const frames = flags.interpolate
    ? readInt("frames", flags.frames, { min: 2 }) ?? 10
    : undefined;
  const count = readInt("count", flags.count, { min: 1 }) ??
    (flags.interpolate ? 8 : 100);
  const name = flags.interpolate ? "interpolation" : "samples";
  return {
    run: flags.run,
    checkpoint,
    count,
    seed: readInt("seed", flags.seed, { min: 0 }) ?? 0,
    format,
    out: flags.out ?? `${name}.${format}`,
    frames,
  };
}

/** Draw what `req` asks for: the values and their npy shape. */
async function draw(
  g: LoadedGenerator,
  req: Request,
): Promise<{ data: Float32Array; shape: number[] }> {
  if (req.frames === undefined) {
    const data = await g.sampleArray(req.count, { seed: req.seed });
    return { data, shape: [req.count, g.pixels] };
  }
  const data = await g.interpolate(req.count, {
    frames: req.frames,
    seed: req.seed,
  });
  return { data, shape: [req.count, req.frames, g.pixels] };
}

async function write(
  g: LoadedGenerator,
  req: Request,
  data: Float32Array,
  shape: number[],
): Promise<void> {
  try {
    if (req.format === "npy") {
      await writeNpy(req.out, { data, shape });
      return;
    }
    const { height, width, channels } = g.image;
    const grid = imageGrid(data, {
      count: shape[0] * (req.frames ?? 1),
      height,
      width,
      channels: channels as 1 | 3,
      range: g.range,
      cols: req.frames,
    });
    await writePng(req.out, grid);
  } catch (err) {
    if (
      err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied
    ) {
      throw new UserError(
        `no permission to write ${req.out}; grant --allow-write for its ` +
          `folder or choose another --out`,
      );
    }
    throw err;
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
  const req = readRequest(flags);
  await selectBackend(parseBackend(flags.backend ?? "auto"));
  const g = await loadGenerator(req.run, {
    checkpoint: req.checkpoint,
    onSkip: (step, reason) =>
      console.log(`warning: skipping checkpoint at step ${step}: ${reason}`),
  });
  try {
    console.log(`generator: ${g.checkpointPath} (step ${g.step})`);
    const { data, shape } = await draw(g, req);
    await write(g, req, data, shape);
    const what = req.frames === undefined
      ? `${req.count} samples`
      : `${req.count} walks of ${req.frames} frames`;
    const layout = req.format === "npy"
      ? `float32 array of shape (${shape.join(", ")})`
      : "PNG grid";
    console.log(`wrote ${what} (seed ${req.seed}) to ${req.out}: ${layout}`);
  } finally {
    g.dispose();
  }
  return 0;
}

if (import.meta.main) await runTask(() => main());
