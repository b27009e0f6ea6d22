/**
 * Checkpoints: everything needed to resume a run exactly, written so that a
 * crash at any moment never corrupts one that already exists.
 *
 * A checkpoint is a folder `checkpoints/step_<step>/` holding
 * - `tensors.bin`: every tensor as little-endian float32, back to back;
 * - `tensors.json`: each tensor's name, shape and offset;
 * - `state.json`: the step, random stream, sampler position and optimizer
 *   update counts;
 * - `metrics.csv`: the metrics up to this step;
 * - `manifest.json`, written last: each file's SHA-256.
 *
 * The folder is assembled under a temporary name and renamed into place, so
 * a checkpoint either exists whole or not at all; the manifest catches
 * anything damaged afterwards.
 *
 * @module
 */
import { join } from "node:path";
import { UserError } from "../cli/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import type { tf } from "../backend/tf.ts";
import type { SessionState } from "./session.ts";

/** The contents of a checkpoint, as read back. */
export interface CheckpointData {
  /** The folder it was read from. */
  path: string;
  /** The non-tensor state. */
  state: SessionState;
  /** Tensor values by name. */
  tensors: Map<string, Float32Array>;
  /** The metrics CSV up to this step. */
  metricsCsv: string;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

const FILES = ["tensors.bin", "tensors.json", "state.json", "metrics.csv"];

/** The folder name of the checkpoint at `step`. */
export function checkpointName(step: number): string {
  return `step_${String(step).padStart(8, "0")}`;
}

/** Hex SHA-256 of `data`. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return Array.from(new Uint8Array(digest))
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Write a checkpoint into `<runDir>/checkpoints/`.
 *
 * @param runDir The run folder.
 * @param contents The session's state, tensors and metrics so far.
 * @returns The checkpoint's folder.
 */
export async function writeCheckpoint(
  runDir: string,
  contents: {
    state: SessionState;
    tensors: Map<string, tf.Tensor>;
    metricsCsv: string;
  },
): Promise<string> {
  const root = join(runDir, "checkpoints");
  const final = join(root, checkpointName(contents.state.step));
  const tmp = join(root, `.tmp-${checkpointName(contents.state.step)}`);
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });

  const entries: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of contents.tensors) {
    const values = await t.data() as Float32Array;
    entries.push({ name, shape: t.shape, offset, length: values.length });
    chunks.push(values);
    offset += values.length;
  }
  const all = new Float32Array(offset);
  chunks.forEach((c, i) => all.set(c, entries[i].offset));

  const files: Record<string, Uint8Array> = {
    "tensors.bin": new Uint8Array(all.buffer),
    "tensors.json": encode(JSON.stringify(entries)),
    "state.json": encode(JSON.stringify(contents.state, null, 2)),
    "metrics.csv": encode(contents.metricsCsv),
  };
  const manifest: Record<string, string> = {};
  for (const [name, data] of Object.entries(files)) {
    await writeFileAtomic(join(tmp, name), data);
    manifest[name] = await sha256Hex(data);
  }
  await writeJsonAtomic(join(tmp, "manifest.json"), manifest);
  await Deno.remove(final, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, final);
  return final;
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Steps of the checkpoints in `runDir`, oldest first. */
export async function listCheckpoints(runDir: string): Promise<number[]> {
  const steps: number[] = [];
  try {
    for await (const e of Deno.readDir(join(runDir, "checkpoints"))) {
      const m = /^step_(\d+)$/.exec(e.name);
      if (e.isDirectory && m) steps.push(Number(m[1]));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return steps.sort((a, b) => a - b);
}

/**
 * Read and verify the checkpoint at `step`.
 *
 * @throws {UserError} Naming the file when it is missing or fails its
 *   manifest.
 */
export async function readCheckpoint(
  runDir: string,
  step: number,
): Promise<CheckpointData> {
  const path = join(runDir, "checkpoints", checkpointName(step));
  const read = async (name: string) => {
    try {
      return await Deno.readFile(join(path, name));
    } catch {
      throw new UserError(`checkpoint file ${join(path, name)} is missing`);
    }
  };
  const manifest = parseManifest(
    await read("manifest.json"),
    join(path, "manifest.json"),
  );
  const files: Record<string, Uint8Array> = {};
  for (const name of FILES) {
    const data = await read(name);
    if (manifest[name] !== await sha256Hex(data)) {
      throw new UserError(
        `checkpoint file ${join(path, name)} fails its manifest checksum`,
      );
    }
    files[name] = data;
  }
  const text = (name: string) => new TextDecoder().decode(files[name]);
  const bin = files["tensors.bin"];
  const all = new Float32Array(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  );
  const tensors = new Map<string, Float32Array>();
  for (const e of JSON.parse(text("tensors.json")) as TensorEntry[]) {
    tensors.set(e.name, all.subarray(e.offset, e.offset + e.length));
  }
  return {
    path,
    state: JSON.parse(text("state.json")),
    tensors,
    metricsCsv: text("metrics.csv"),
  };
}

/** A damaged manifest is a damaged checkpoint, not a crash. */
function parseManifest(
  bytes: Uint8Array,
  path: string,
): Record<string, string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    // Falls through to the error below.
  }
  if (manifest === null || typeof manifest !== "object") {
    throw new UserError(`checkpoint file ${path} is not a valid manifest`);
  }
  return manifest as Record<string, string>;
}

/**
 * Read the newest checkpoint in `runDir` that passes its manifest, newest
 * first, reporting each damaged one through `onSkip`.
 *
 * @throws {UserError} When the folder holds no good checkpoint.
 */
export async function readLatestCheckpoint(
  runDir: string,
  options: { onSkip?: (step: number, reason: string) => void } = {},
): Promise<CheckpointData> {
  const steps = await listCheckpoints(runDir);
  for (const step of steps.reverse()) {
    try {
      return await readCheckpoint(runDir, step);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      options.onSkip?.(step, err.message);
    }
  }
  throw new UserError(`${runDir} holds no intact checkpoint to resume from`);
}

/**
 * Delete checkpoints that are neither the newest nor on the `every`
 * schedule (an interrupt can leave one between scheduled steps).
 */
export async function pruneCheckpoints(
  runDir: string,
  every: number,
): Promise<void> {
  const steps = await listCheckpoints(runDir);
  const newest = steps[steps.length - 1];
  for (const step of steps) {
    if (step !== newest && step % every !== 0) {
      await Deno.remove(join(runDir, "checkpoints", checkpointName(step)), {
        recursive: true,
      });
    }
  }
}
