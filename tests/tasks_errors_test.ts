/**
 * How tasks end on a permission they were not started with: `runTask` of
 * `tasks/_terminal.ts` turns a `Deno.errors.NotCapable` into one line on
 * stderr and exit code 2. Each case runs a task as a subprocess with
 * `--allow-read --allow-env` but no `--allow-write`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

/** A task subprocess's exit code and stderr lines. */
interface Ended {
  code: number;
  lines: string[];
}

/** Run `deno run --allow-read --allow-env <args>` in the repository. */
async function runDeno(args: string[], extra: string[] = []): Promise<Ended> {
  const root = new URL("..", import.meta.url);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", ...extra, ...args],
    cwd: root,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stderr);
  return { code, lines: text.split("\n").filter((l) => l.trim() !== "") };
}

/** Assert exit code 2 and one `error:` line about write access. */
function assertOneWriteError(ended: Ended, label: string): void {
  const shown = JSON.stringify(ended.lines);
  assert.equal(ended.code, 2, `${label}: exit code; stderr ${shown}`);
  assert.equal(ended.lines.length, 1, `${label}: stderr lines ${shown}`);
  assert.match(ended.lines[0], /^error: /, `${label}: ${shown}`);
  assert.match(ended.lines[0], /write access/, `${label}: ${shown}`);
  // runTask's NotCapable branch, not a UserError thrown by the task.
  assert.match(ended.lines[0], /allow less\)$/, `${label}: ${shown}`);
}

Deno.test("runTask() prints a NotCapable as one line and exits 2", async () => {
  const ended = await runDeno(["tests/fixtures/not_capable_task.ts"]);
  assertOneWriteError(ended, "fixture");
  assert.match(ended.lines[0], /"x"/, "the path is named");
});

/** Whether MNIST has been downloaded into data/mnist. */
function mnistPresent(): boolean {
  const dir = new URL("../data/mnist/", import.meta.url);
  try {
    return [...Deno.readDirSync(dir)].length >= 4;
  } catch {
    return false;
  }
}

// optimal_d, sample and evaluate check --out before they compute and throw
// a UserError themselves; train is the task that reaches runTask with a
// NotCapable, when it creates the run folder. It loads MNIST first, so
// this case needs the dataset already downloaded (without --allow-net the
// download would fail on net access instead).
Deno.test({
  name: "runTask() ends train without --allow-write with one line, exit 2",
  ignore: !mnistPresent(),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "webgan_tasks_errors_" });
    try {
      const ended = await runDeno(
        [
          "tasks/train.ts",
          ...["--out", join(out, "runs"), "--steps", "1"],
          ...["--backend", "cpu"],
        ],
        ["--allow-sys"],
      );
      assertOneWriteError(ended, "train");
      assert.ok(ended.lines[0].includes(out), `names ${out}: ${ended.lines}`);
      assert.deepEqual([...Deno.readDirSync(out)], [], "train wrote");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
