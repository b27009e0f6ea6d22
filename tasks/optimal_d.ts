// deno-lint-ignore-file no-console
/**
 * `deno task optimal-d`: the 1-D optimal-discriminator experiment, like
 * Figure 1 of Goodfellow et al. 2014 (arXiv 1406.2661). A small D is
 * trained against a fixed G; the task prints how close it comes to
 * Proposition 1's D*(x) = p_data / (p_data + p_g) and to Theorem 1's
 * C(G) = −log 4 + 2 · JSD(p_data ‖ p_g), and writes the figure as a PNG.
 *
 * @module
 */
import { parseBackend, selectBackend } from "../src/backend/select.ts";
import { parseFlags, readInt } from "../src/cli/args.ts";
import { UserError } from "../src/cli/errors.ts";
import {
  type OptimalDiscriminatorResult,
  renderOptimalDiscriminatorPng,
  runOptimalDiscriminatorExperiment,
} from "../src/eval/optimal_discriminator.ts";
import { writeFileAtomic } from "../src/io/atomic.ts";
import { Progress, runTask } from "./_terminal.ts";

const USAGE = `usage: deno task optimal-d [options]

  --out PATH      the PNG to write (default optimal_d.png)
  --steps N       Adam steps on D (default 1500)
  --seed S        seed of D's weights and of every sample (default 0)
  --backend B     auto | webgpu | wasm | cpu (default wasm)
  -h, --help      show this help

p_data is N(0.5, 0.5²); G(z) = −0.4 + 0.3 · log(z / (1 − z)) with
z ~ U(0, 1), a logistic law. D (1 → 32 → 32 → 1) maximises
V(D, G) = E log D(x) + E log(1 − D(G(z))) with G fixed. D is compared with
D* where both densities reach 5 % of their peak; V is estimated by Monte
Carlo on 200000 draws of x and of z, and C(G) comes from numeric
integration of the two known densities.`;

const FLAGS = {
  out: { type: "string" },
  steps: { type: "string" },
  seed: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function printResult(r: OptimalDiscriminatorResult): void {
  const compared = r.compared.filter(Boolean).length;
  const f = (v: number) => v.toFixed(4);
  console.log(
    `Proposition 1, D(x) vs D*(x) = p_data / (p_data + p_g) on ` +
      `${compared} of ${r.x.length} grid points:`,
  );
  console.log(`  max |D − D*|  = ${f(r.maxAbsError)}`);
  console.log(`  mean |D − D*| = ${f(r.meanAbsError)}`);
  console.log("Theorem 1, C(G) = max_D V(D, G) = −log 4 + 2 · JSD, in nats:");
  console.log(`  JSD(p_data ‖ p_g)          = ${f(r.jsd)}`);
  console.log(`  −log 4 + 2 · JSD           = ${f(r.optimalValue)}`);
  console.log(
    `  V(D*, G), Monte Carlo      = ${f(r.optimalValueMonteCarlo)} ` +
      `(off by ${f(Math.abs(r.optimalValueMonteCarlo - r.optimalValue))})`,
  );
  console.log(
    `  V(D, G), trained D         = ${f(r.trainedValue)} ` +
      `(off by ${f(Math.abs(r.trainedValue - r.optimalValue))})`,
  );
}

/** Run the task with command-line `args`; returns the exit code. */
export async function main(args: string[] = Deno.args): Promise<number> {
  const flags = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const out = flags.out ?? "optimal_d.png";
  const steps = readInt("steps", flags.steps, { min: 1 }) ?? 1500;
  const seed = readInt("seed", flags.seed, { min: 0 }) ?? 0;
  const status = await Deno.permissions.query({ name: "write", path: out });
  if (status.state !== "granted") {
    throw new UserError(
      `no permission to write ${out}; grant --allow-write for its folder ` +
        `or choose another --out`,
    );
  }
  const backend = await selectBackend(parseBackend(flags.backend ?? "wasm"));
  console.log(
    `webgan optimal-d · backend ${backend.name} · ${steps} steps · seed ${seed}`,
  );

  const bar = new Progress("train D", steps);
  let last = { step: 0, loss: NaN };
  const result = await runOptimalDiscriminatorExperiment({
    steps,
    seed,
    onProgress: (step, _, loss) => {
      last = { step, loss };
      bar.update(step, `−V ${loss.toFixed(4)}`);
    },
  });
  bar.done(steps, `−V ${last.loss.toFixed(4)}`);
  printResult(result);

  const png = await renderOptimalDiscriminatorPng(result);
  try {
    await writeFileAtomic(out, png);
  } catch (err) {
    if (
      err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied
    ) {
      throw new UserError(
        `no permission to write ${out}; grant --allow-write for its ` +
          `folder or choose another --out`,
      );
    }
    throw err;
  }
  console.log(`wrote ${out}`);
  return 0;
}

if (import.meta.main) await runTask(() => main());
