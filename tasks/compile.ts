// deno-lint-ignore-file no-console
/**
 * `deno task compile`: build a single `webgan` binary with `deno compile`,
 * its permissions scoped as the tasks' are.
 *
 * `deno compile` embeds the program into a `denort` runtime binary, which it
 * normally downloads. Where that download is impossible (as on machines
 * that reach only the npm registry), point `DENORT_BIN` at a `denort` you
 * have; without one the task stops with a one-line explanation.
 *
 * @module
 */
import { parseFlags } from "../src/cli/args.ts";
import { UserError } from "../src/cli/errors.ts";
import { runTask } from "./_terminal.ts";

/** The dataset hosts the binary may reach, as the download task may. */
const DATA_HOSTS = [
  "yann.lecun.com",
  "ossci-datasets.s3.amazonaws.com",
  "storage.googleapis.com",
  "fashion-mnist.s3-website.eu-central-1.amazonaws.com",
  "www.cs.toronto.edu",
];

/** The `deno compile` arguments that build the binary at `output`. */
export function compileArgs(output: string): string[] {
  return [
    "compile",
    "--output",
    output,
    "--allow-read",
    "--allow-write=models,data,.",
    `--allow-net=${DATA_HOSTS.join(",")}`,
    "--allow-env",
    "--allow-sys=cpus",
    "--include",
    "tasks/",
    // Worker scripts are started from URLs, which deno compile cannot see.
    "--include",
    "src/backend/wasm_pthread_worker.ts",
    "--include",
    "src/kernels/engine_worker.ts",
    "mod.ts",
  ];
}

const USAGE = `usage: deno task compile [--output PATH]

  --output PATH   where to write the binary (default ./webgan)

Needs DENORT_BIN to name a denort runtime when deno cannot download one.`;

/** Run the task with command-line `args`; returns the exit code. */
export async function main(args: string[] = Deno.args): Promise<number> {
  const flags = parseFlags(args, {
    output: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (!denort) {
    throw new UserError(
      "deno compile needs a denort runtime, which cannot be downloaded " +
        "here; set DENORT_BIN to the path of one and run again",
    );
  }
  try {
    await Deno.stat(denort);
  } catch {
    throw new UserError(`DENORT_BIN names ${denort}, which does not exist`);
  }
  const output = flags.output ?? "webgan";
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(output),
    env: { DENORT_BIN: denort },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new UserError(`deno compile failed (exit ${code})`);
  console.log(`built ${output}; try: ./${output} --help`);
  return 0;
}

if (import.meta.main) await runTask(() => main());
