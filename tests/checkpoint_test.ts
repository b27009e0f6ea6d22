/**
 * Checkpoints round-trip exactly, carry a SHA-256 manifest that catches any
 * damage, name the damaged file, and never leave a half-written folder where
 * a reader would take it for a checkpoint.
 */
import assert from "node:assert";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tf } from "../src/backend/tf.ts";
import { UserError } from "../src/cli/errors.ts";
import {
  checkpointName,
  listCheckpoints,
  pruneCheckpoints,
  readCheckpoint,
  readLatestCheckpoint,
  writeCheckpoint,
} from "../src/train/checkpoint.ts";
import type { SessionState } from "../src/train/session.ts";

await tf.setBackend("cpu");

function stateAt(step: number): SessionState {
  return {
    step,
    rng: [1, 2, 3, step],
    sampler: { count: 10, position: 3, order: [], rng: [4, 5, 6, 7] },
    updates: { discriminator: step, generator: step },
  } as unknown as SessionState;
}

/** Distinct values per step, so that a fallback is visible. */
function valuesAt(step: number) {
  return {
    "generator.0": Float32Array.from({ length: 6 }, (_, i) => i + step / 7),
    "discriminator.0": Float32Array.from([-1.5, step, 1e-30, 3e30]),
  };
}

async function writeAt(runDir: string, step: number): Promise<string> {
  const v = valuesAt(step);
  const tensors = new Map<string, tf.Tensor>([
    ["generator.0", tf.tensor(v["generator.0"], [2, 3])],
    ["discriminator.0", tf.tensor(v["discriminator.0"], [4])],
  ]);
  try {
    return await writeCheckpoint(runDir, {
      state: stateAt(step),
      tensors,
      metricsCsv: `step\n${step}\n`,
    });
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

async function flipByte(path: string, index: number): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[index] ^= 0x01;
  await Deno.writeFile(path, bytes);
}

async function withRun(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "webgan_checkpoint_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeCheckpoint() round-trips state, tensors and metrics", async () => {
  await withRun(async (dir) => {
    const path = await writeAt(dir, 30);
    assert.strictEqual(path, join(dir, "checkpoints", "step_00000030"));
    const cp = await readCheckpoint(dir, 30);
    assert.deepStrictEqual(cp.state, stateAt(30));
    assert.strictEqual(cp.metricsCsv, "step\n30\n");
    const want = valuesAt(30);
    assert.deepStrictEqual([...cp.tensors.keys()], Object.keys(want));
    for (const [name, values] of Object.entries(want)) {
      assert.deepStrictEqual(cp.tensors.get(name), values, name);
    }
    const names = [];
    for await (const e of Deno.readDir(join(dir, "checkpoints"))) {
      names.push(e.name);
    }
    assert.deepStrictEqual(names, ["step_00000030"], "no temporary left");
  });
});

Deno.test("writeCheckpoint() lists every file's SHA-256 in its manifest", async () => {
  await withRun(async (dir) => {
    const path = await writeAt(dir, 5);
    const manifest = JSON.parse(
      await Deno.readTextFile(join(path, "manifest.json")),
    );
    const files = ["metrics.csv", "state.json", "tensors.bin", "tensors.json"];
    assert.deepStrictEqual(Object.keys(manifest).sort(), files);
    for (const name of files) {
      const digest = createHash("sha256")
        .update(await Deno.readFile(join(path, name)))
        .digest("hex");
      assert.strictEqual(manifest[name], digest, name);
    }
    // 6 + 4 float32 values, little-endian, back to back.
    const bin = await Deno.readFile(join(path, "tensors.bin"));
    assert.strictEqual(bin.length, 40);
    assert.strictEqual(new DataView(bin.buffer).getFloat32(24, true), -1.5);
  });
});

Deno.test("readCheckpoint() names a file that fails its manifest", async () => {
  await withRun(async (dir) => {
    const path = await writeAt(dir, 10);
    const bin = join(path, "tensors.bin");
    await flipByte(bin, 17);
    await assert.rejects(
      () => readCheckpoint(dir, 10),
      (err: Error) =>
        err instanceof UserError && err.message.includes(bin) &&
        err.message.includes("manifest"),
    );
  });
});

Deno.test("readCheckpoint() names a missing or truncated file", async () => {
  await withRun(async (dir) => {
    const path = await writeAt(dir, 10);
    const state = join(path, "state.json");
    await Deno.remove(state);
    await assert.rejects(
      () => readCheckpoint(dir, 10),
      (err: Error) =>
        err instanceof UserError && err.message.includes(state) &&
        err.message.includes("missing"),
    );
    const path2 = await writeAt(dir, 20);
    const bin = join(path2, "tensors.bin");
    await Deno.truncate(bin, 36);
    await assert.rejects(
      () => readCheckpoint(dir, 20),
      (err: Error) => err instanceof UserError && err.message.includes(bin),
    );
  });
});

Deno.test("readCheckpoint() reports a damaged manifest as a user error", async () => {
  await withRun(async (dir) => {
    const path = await writeAt(dir, 10);
    const manifest = join(path, "manifest.json");
    await Deno.writeTextFile(manifest, '{"tensors.bin": "ab');
    await assert.rejects(
      () => readCheckpoint(dir, 10),
      (err: Error) =>
        err instanceof UserError && err.message.includes(manifest),
    );
  });
});

Deno.test("readLatestCheckpoint() falls back past a damaged newest one", async () => {
  await withRun(async (dir) => {
    for (const step of [0, 10, 20]) await writeAt(dir, step);
    await flipByte(
      join(dir, "checkpoints", checkpointName(20), "tensors.bin"),
      3,
    );
    const skipped: [number, string][] = [];
    const cp = await readLatestCheckpoint(dir, {
      onSkip: (step, reason) => skipped.push([step, reason]),
    });
    assert.strictEqual(cp.state.step, 10);
    assert.deepStrictEqual(
      cp.tensors.get("discriminator.0"),
      valuesAt(10)["discriminator.0"],
    );
    assert.strictEqual(skipped.length, 1);
    assert.strictEqual(skipped[0][0], 20);
    assert.match(skipped[0][1], /step_00000020.tensors\.bin fails/);
  });
});

Deno.test("readLatestCheckpoint() ignores a half-written folder", async () => {
  await withRun(async (dir) => {
    await writeAt(dir, 10);
    // What a process killed inside writeCheckpoint leaves behind.
    const tmp = join(dir, "checkpoints", `.tmp-${checkpointName(20)}`);
    await Deno.mkdir(tmp);
    await Deno.writeFile(join(tmp, "tensors.bin"), new Uint8Array(7));
    assert.deepStrictEqual(await listCheckpoints(dir), [10]);
    assert.strictEqual((await readLatestCheckpoint(dir)).state.step, 10);
    // The next write of that step replaces the leftover.
    await writeAt(dir, 20);
    assert.strictEqual((await readLatestCheckpoint(dir)).state.step, 20);
  });
});

Deno.test("readLatestCheckpoint() says when no checkpoint is intact", async () => {
  await withRun(async (dir) => {
    await assert.rejects(
      () => readLatestCheckpoint(dir),
      (err: Error) =>
        err instanceof UserError && err.message.includes(dir) &&
        err.message.includes("no intact checkpoint"),
    );
    await writeAt(dir, 10);
    await flipByte(
      join(dir, "checkpoints", checkpointName(10), "state.json"),
      0,
    );
    const skipped: number[] = [];
    await assert.rejects(
      () => readLatestCheckpoint(dir, { onSkip: (s) => skipped.push(s) }),
      UserError,
    );
    assert.deepStrictEqual(skipped, [10]);
  });
});

Deno.test("pruneCheckpoints() keeps the newest and those on schedule", async () => {
  await withRun(async (dir) => {
    for (const step of [0, 5, 10, 13, 20, 27]) await writeAt(dir, step);
    await pruneCheckpoints(dir, 10);
    assert.deepStrictEqual(await listCheckpoints(dir), [0, 10, 20, 27]);
    await writeAt(dir, 30);
    await pruneCheckpoints(dir, 10);
    assert.deepStrictEqual(await listCheckpoints(dir), [0, 10, 20, 30]);
  });
});
