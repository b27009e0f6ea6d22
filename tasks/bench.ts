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
import { profileSteps, type StepProfile } from "../src/bench/profile.ts";
import { benchmarkTorch } from "../src/bench/torch_peer.ts";
import { applyOverrides, type TrainConfig } from "../src/train/config.ts";
import { getPreset } from "../src/train/presets.ts";
import { runTask } from "./_terminal.ts";

/** Seconds of timed steps after which a slow backend stops early. */
const BUDGET_S = 20;

const USAGE = `usage: deno task bench [options]

  --backend B      auto (every available backend) | webgpu | wasm | cpu
                   (default auto: webgpu when an adapter exists, wasm, cpu)
  --model NAME     the preset whose model is timed (default paper-mnist)
  --updates U      alternating | simultaneous (default: the preset's;
                   paper-mnist's is simultaneous, as in the authors' code)
  --steps N        timed steps after warm-up (default 10; a backend slower
                   than ${BUDGET_S} s for them stops after 3)
  --threads N      wasm threads, 1 to 8 (default: every core, at most 8)
  --torch          also time the same step in PyTorch, with as many threads,
                   alternating with webgan's wasm step
  --rounds N       side-by-side rounds with --torch (default 3)
  --python PATH    the python3 that has torch (default python3; Debian's
                   python3-torch lives in /usr/bin/python3)
  --profile        also show where a step's time goes, kernel by kernel
  --json           one JSON object per line instead of a table
  -h, --help       show this help`;

const FLAGS = {
  backend: { type: "string" },
  model: { type: "string" },
  updates: { type: "string" },
  steps: { type: "string" },
  threads: { type: "string" },
  rounds: { type: "string" },
  torch: { type: "boolean" },
  python: { type: "string" },
  json: { type: "boolean" },
  profile: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

async function backendsToTime(request: string): Promise<BackendName[]> {
  const backend = parseBackend(request);
  if (backend !== "auto") return [backend];
  const gpu = await probeAdapter();
  return gpu ? ["webgpu", "wasm", "cpu"] : ["wasm", "cpu"];
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
  const preset = getPreset(flags.model ?? "paper-mnist");
  const config = flags.updates
    ? applyOverrides(preset, [`updates=${flags.updates}`])
    : preset;
  const steps = readInt("steps", flags.steps, { min: 1 }) ?? 10;
  const threads = readInt("threads", flags.threads, { min: 1, max: 8 }) ??
    defaultWasmThreads();
  const rounds = readInt("rounds", flags.rounds, { min: 1 }) ?? 3;
  const backends = await backendsToTime(flags.backend ?? "auto");

  const widths = [8, 8, 10, 8, 9, 9, 6, 15];
  if (!flags.json) {
    console.log(
      `model ${config.preset}, batch ${config.batchSize}, ` +
        `${config.updates} updates`,
    );
    console.log(row(
      [
        "backend",
        "threads",
        "ms/step",
        "steps/s",
        "GFLOP/s",
        "first ms",
        "steps",
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
      String(r.steps),
      `${r.tensors_before}→${r.tensors_after}`,
    ], widths));
    if (r.adapter) console.log(`  adapter: ${r.adapter}`);
  };
  const options = { steps, threads, budgetMs: 1000 * BUDGET_S };
  for (const backend of backends) {
    if (backend === "wasm" && flags.torch) continue;
    printRow(await benchmarkSteps(config, backend, options));
  }
  if (flags.torch) {
    await compareWithTorch(config, { ...options, rounds }, {
      python: flags.python,
      json: flags.json,
      printRow,
      widths,
    });
  }
  if (flags.profile) {
    for (const backend of backends) {
      const profile = await profileSteps(config, backend, {
        threads,
        steps: Math.min(steps, 5),
      });
      if (flags.json) {
        console.log(JSON.stringify({
          backend: profile.backend,
          model: config.preset,
          updates: config.updates,
          ms_per_step: profile.stepMs,
          profile: profile.kernels,
        }));
      } else printProfile(profile);
    }
  }
  return 0;
}

/** Kernel rows shown in a profile; the rest are summed into one. */
const PROFILE_ROWS = 14;

function printProfile(p: StepProfile): void {
  const threads = p.threads ? `, ${p.threads} thread(s)` : "";
  console.log(
    `\nwhere a ${p.backend} step's time goes ` +
      `(mean of ${p.steps} profiled steps${threads}):`,
  );
  const widths = [9, 6];
  const line = (ms: number, calls: string, what: string) =>
    console.log(`${row([fmtMs(ms), calls], widths)}  ${what}`);
  console.log(`${row(["ms/step", "calls"], widths)}  kernel and input shapes`);
  const shown = p.kernels.slice(0, PROFILE_ROWS);
  for (const k of shown) {
    line(k.ms, fmtCalls(k.calls), `${k.kernel} ${k.shapes}`);
  }
  const rest = p.kernels.slice(PROFILE_ROWS);
  const restMs = rest.reduce((sum, k) => sum + k.ms, 0);
  const restCalls = rest.reduce((sum, k) => sum + k.calls, 0);
  line(restMs, fmtCalls(restCalls), `${rest.length} other kernel/shape pairs`);
  const kernelMs = p.kernels.reduce((sum, k) => sum + k.ms, 0);
  line(p.stepMs - kernelMs, "", "outside kernels (JavaScript, tfjs, data)");
  line(p.stepMs, "", "the whole step, profiled");
  const byName = new Map<string, number>();
  for (const k of p.kernels) {
    byName.set(k.kernel, (byName.get(k.kernel) ?? 0) + k.ms);
  }
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const share = (ms: number) => `${(100 * ms / p.stepMs).toFixed(0)} %`;
  console.log(
    `by kernel: ${top.map(([k, ms]) => `${k} ${share(ms)}`).join(", ")}`,
  );
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(2) : "-";
}

function fmtCalls(calls: number): string {
  return Number.isInteger(calls) ? String(calls) : calls.toFixed(1);
}

/**
 * Time webgan's wasm step and PyTorch's round after round, so that both
 * see the same machine: on a shared host the speed of a core drifts.
 */
async function compareWithTorch(
  config: TrainConfig,
  options: { steps: number; threads: number; budgetMs: number; rounds: number },
  out: {
    python?: string;
    json?: boolean;
    printRow: (r: BenchResult) => void;
    widths: number[];
  },
): Promise<void> {
  const { steps, threads, rounds } = options;
  const { widths, printRow } = out;
  if (config.preset !== "paper-mnist") {
    console.log("torch peer: only the paper-mnist model is implemented");
    return;
  }
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = await benchmarkSteps(config, "wasm", options);
    const t = await benchmarkTorch({
      python: out.python,
      threads: r.threads ?? threads,
      steps: Math.max(steps, 10),
      updates: config.updates,
    });
    printRow(r);
    if ("unavailable" in t) {
      console.log(`torch peer unavailable: ${t.unavailable}`);
      return;
    }
    if (out.json) {
      console.log(JSON.stringify({
        backend: `pytorch ${t.torch}`,
        model: config.preset,
        updates: t.updates,
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
        String(Math.max(steps, 10)),
        "-",
      ], widths));
    }
    ratios.push(r.ms_per_step / t.ms_per_step);
  }
  if (!out.json) {
    const each = ratios.map((x) => `${x.toFixed(2)}×`).join(", ");
    console.log(
      `wasm / pytorch: ${median(ratios).toFixed(2)}× ` +
        `(median of ${rounds} side-by-side round(s): ${each})`,
    );
  }
}

if (import.meta.main) await runTask(() => main());
