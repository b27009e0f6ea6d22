// deno-lint-ignore-file no-console
/**
 * `deno task bench`: time training steps on each available backend, beside
 * PyTorch where it is installed.
 *
 * @module
 */
import { parseFlags, readInt } from "../src/cli/args.ts";
import { type BackendName, parseBackend } from "../src/backend/select.ts";
import { probeAdapter } from "../src/backend/webgpu_factory.ts";
import { defaultWasmThreads } from "../src/backend/wasm_threads.ts";
import { benchmarkSteps, type BenchResult } from "../src/bench/measure.ts";
import { benchmarkTorch } from "../src/bench/torch_peer.ts";
import { getPreset } from "../src/train/presets.ts";
import { runTask } from "./_terminal.ts";

const USAGE = `usage: deno task bench [options]

  --backend B      auto (every available backend) | webgpu | wasm | cpu
                   (default auto: webgpu when an adapter exists, and wasm)
  --model NAME     the preset whose model is timed (default paper-mnist)
  --steps N        timed steps after warm-up (default 10)
  --threads N      wasm threads, 1 to 8 (default: every core, at most 8)
  --torch          also time the same step in PyTorch, with as many threads,
                   alternating with webgan's wasm step
  --rounds N       side-by-side rounds with --torch (default 3)
  --python PATH    the python3 that has torch (default python3; Debian's
                   python3-torch lives in /usr/bin/python3)
  --json           one JSON object per line instead of a table
  -h, --help       show this help`;

const FLAGS = {
  backend: { type: "string" },
  model: { type: "string" },
  steps: { type: "string" },
  threads: { type: "string" },
  rounds: { type: "string" },
  torch: { type: "boolean" },
  python: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

async function backendsToTime(request: string): Promise<BackendName[]> {
  const backend = parseBackend(request);
  if (backend !== "auto") return [backend];
  const gpu = await probeAdapter();
  return gpu ? ["webgpu", "wasm"] : ["wasm"];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padStart(widths[i])).join("  ");
}

/** Run the task with command-line `args`; returns the exit code. */
export async function main(args: string[] = Deno.args): Promise<number> {
  const flags = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const config = getPreset(flags.model ?? "paper-mnist");
  const steps = readInt("steps", flags.steps, { min: 1 }) ?? 10;
  const threads = readInt("threads", flags.threads, { min: 1, max: 8 }) ??
    defaultWasmThreads();
  const rounds = readInt("rounds", flags.rounds, { min: 1 }) ?? 3;
  const backends = await backendsToTime(flags.backend ?? "auto");

  const results: BenchResult[] = [];
  const widths = [8, 8, 10, 8, 9, 9, 15];
  if (!flags.json) {
    console.log(
      `model ${config.preset}, batch ${config.batchSize}, ${steps} timed steps`,
    );
    console.log(row(
      [
        "backend",
        "threads",
        "ms/step",
        "steps/s",
        "GFLOP/s",
        "first ms",
        "tensors",
      ],
      widths,
    ));
  }
  const printRow = (r: BenchResult) => {
    if (flags.json) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(row([
      r.backend,
      r.threads ? String(r.threads) : "-",
      r.ms_per_step.toFixed(1),
      r.steps_per_s.toFixed(2),
      r.gflop_per_s.toFixed(1),
      r.first_step_ms.toFixed(0),
      `${r.tensors_before}→${r.tensors_after}`,
    ], widths));
    if (r.adapter) console.log(`  adapter: ${r.adapter}`);
  };
  for (const backend of backends) {
    if (backend === "wasm" && flags.torch) continue;
    const r = await benchmarkSteps(config, backend, { steps, threads });
    results.push(r);
    printRow(r);
  }
  if (!flags.torch) return 0;
  if (config.preset !== "paper-mnist") {
    console.log("torch peer: only the paper-mnist model is implemented");
    return 0;
  }

  // webgan's wasm step and PyTorch's, round after round, so that both see
  // the same machine: on a shared host the speed of a core drifts.
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = await benchmarkSteps(config, "wasm", { steps, threads });
    const t = await benchmarkTorch({
      python: flags.python,
      threads: r.threads ?? threads,
      steps: Math.max(steps, 10),
    });
    printRow(r);
    if ("unavailable" in t) {
      console.log(`torch peer unavailable: ${t.unavailable}`);
      return 0;
    }
    if (flags.json) {
      console.log(JSON.stringify({
        backend: `pytorch ${t.torch}`,
        model: config.preset,
        threads: t.threads,
        ms_per_step: t.ms_per_step,
      }));
    } else {
      console.log(row([
        "pytorch",
        String(t.threads),
        t.ms_per_step.toFixed(1),
        (1000 / t.ms_per_step).toFixed(2),
        (r.gflop_per_step / (t.ms_per_step / 1000)).toFixed(1),
        "-",
        "-",
      ], widths));
    }
    ratios.push(r.ms_per_step / t.ms_per_step);
  }
  if (!flags.json) {
    const each = ratios.map((x) => `${x.toFixed(2)}×`).join(", ");
    console.log(
      `wasm / pytorch: ${median(ratios).toFixed(2)}× ` +
        `(median of ${rounds} side-by-side round(s): ${each})`,
    );
  }
  return 0;
}

if (import.meta.main) await runTask(() => main());
