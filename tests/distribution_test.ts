import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { compileArgs } from "../tasks/compile.ts";
import { VERSION } from "../src/version.ts";

const MOD = resolve("mod.ts");

async function runDeno(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("mod.ts --help works from another directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runDeno(["run", "-A", MOD, "--help"], dir);
    assert.equal(r.code, 0, r.stderr);
    for (const cmd of ["train", "download", "sample", "evaluate", "bench"]) {
      assert.match(r.stdout, new RegExp(`\\n  ${cmd} `), `no ${cmd} in usage`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mod.ts rejects an unknown command in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runDeno(["run", "-A", MOD, "trian"], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /unknown command "trian"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mod.ts train runs outside the clone, relative to the cwd", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runDeno([
      "run",
      "-A",
      MOD,
      "train",
      "--steps",
      "20",
      "--backend",
      "wasm",
      "--checkpoint-every",
      "10",
      "--set",
      "model.generatorHidden=[32,32]",
      "--set",
      "model.discriminatorMaxout=[[16,2],[16,2]]",
    ], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      !(await exists(join(dir, "node_modules"))),
      "a node_modules folder appeared",
    );
    // The data and models folders sit where the user stands.
    assert.ok(await exists(join(dir, "data", "mnist")), "no ./data/mnist");
    const runs: string[] = [];
    for await (const day of Deno.readDir(join(dir, "models", "mnist"))) {
      for await (
        const run of Deno.readDir(join(dir, "models", "mnist", day.name))
      ) {
        runs.push(join(dir, "models", "mnist", day.name, run.name));
      }
    }
    assert.equal(runs.length, 1);
    assert.ok(await exists(join(runs[0], "samples", "final.png")));
    assert.ok(await exists(join(runs[0], "metrics.png")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "deno task compile builds a binary that runs" +
    (Deno.env.get("DENORT_BIN") ? "" : " (skipped: DENORT_BIN is not set)"),
  ignore: !Deno.env.get("DENORT_BIN"),
  // Skipped without DENORT_BIN: deno compile needs a denort runtime, and
  // these machines cannot download one.
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const bin = join(dir, "webgan");
      const r = await runDeno(
        ["run", "-A", "tasks/compile.ts", "--output", bin],
        Deno.cwd(),
        {
          DENORT_BIN: Deno.env.get("DENORT_BIN")!,
        },
      );
      assert.equal(r.code, 0, r.stderr);
      const out = await new Deno.Command(bin, {
        args: ["--help"],
        stdout: "piped",
      })
        .output();
      assert.match(new TextDecoder().decode(out.stdout), /usage: webgan/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task compile without DENORT_BIN explains itself in one line", async () => {
  const env = { ...Deno.env.toObject() };
  delete env.DENORT_BIN;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/compile.ts"],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.notEqual(out.code, 0);
  assert.equal(err.split("\n").length, 1, err);
  assert.match(err, /DENORT_BIN/);
});

Deno.test("compileArgs() scopes the binary's permissions like the tasks", () => {
  const args = compileArgs("webgan");
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
  assert.ok(args.some((a) => a.startsWith("--allow-write=")));
  assert.ok(args.some((a) => a.startsWith("--allow-net=")));
  assert.equal(args[args.length - 1], "mod.ts");
});

Deno.test("compileArgs() includes every worker script under src/", async () => {
  // Workers start from URLs that deno compile cannot follow; a worker left
  // out would fail only inside the binary, on the threaded wasm path.
  const workers: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith("_worker.ts")) workers.push(path);
    }
  };
  await walk("src");
  assert.ok(workers.length >= 2, `found only ${workers}`);
  const args = compileArgs("webgan");
  for (const worker of workers) {
    const at = args.indexOf(worker);
    assert.ok(at > 0 && args[at - 1] === "--include", `${worker} not included`);
  }
});

Deno.test("VERSION matches deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile("deno.json"));
  assert.equal(VERSION, config.version);
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
