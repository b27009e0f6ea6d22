/**
 * The typed configuration of a training run. A preset (`./presets/`) fills
 * in every field; flags and `--set key=value` overrides refine it; the
 * resolved config is saved in the run folder so the run can be understood
 * and resumed from there.
 *
 * @module
 */
import type { BackendRequest } from "../backend/select.ts";
import { UserError } from "../cli/errors.ts";
import type { DatasetName } from "../data/dataset.ts";
import { type ModelConfig, validateModel } from "../models/registry.ts";
import type { OptimizerConfig } from "./optimizers.ts";

/** How the noise z is drawn. */
export type NoiseKind = "uniform-sqrt3" | "normal";

/**
 * How a step's updates are ordered: Algorithm 1's alternation (D, then G
 * against the updated D), or both players at once from the same weights,
 * as the authors' pylearn2 code does.
 */
export type UpdateOrder = "alternating" | "simultaneous";

/** The generator's objective. */
export type GeneratorLoss = "non-saturating" | "minimax";

/** Everything that defines a training run. */
export interface TrainConfig {
  /** The preset this config started from. */
  preset: string;
  /** One line on what the preset shows. */
  purpose: string;
  /** The dataset trained on. */
  dataset: DatasetName;
  /** The networks. */
  model: ModelConfig;
  /** The data as the networks see it. */
  data: {
    /** [0,1] for sigmoid generators, [-1,1] for tanh ones. */
    range: "unit" | "symmetric";
    /** Subtract the per-pixel training mean. */
    demean: boolean;
    /** Global contrast normalisation, as the paper did for CIFAR-10. */
    gcn: boolean;
  };
  /** Distribution of z (the paper: uniform with unit variance). */
  noise: NoiseKind;
  /** Training steps; one step is k D updates and one G update. */
  steps: number;
  /** Examples per minibatch, for real and fake alike. */
  batchSize: number;
  /** k in Algorithm 1: D updates per G update. */
  discriminatorSteps: number;
  /**
   * Alternating (Algorithm 1) or simultaneous (the authors' code; with
   * k > 1, the last of the k D updates is made together with G's).
   */
  updates: UpdateOrder;
  /** −log D(G(z)) (non-saturating) or log(1 − D(G(z))) (the paper's Eq. 1). */
  generatorLoss: GeneratorLoss;
  /** D's loss: the sum of the real and fake terms, or their mean. */
  discriminatorLoss: "sum" | "mean";
  /** D's optimizer. */
  discriminatorOptimizer: OptimizerConfig;
  /** G's optimizer. */
  generatorOptimizer: OptimizerConfig;
  /** Seed for weights, noise, dropout and batch order. */
  seed: number;
  /** Steps between sample grids and checkpoints. */
  checkpointEvery: number;
  /** Steps between reads of the losses from the device. */
  readEvery: number;
  /** Steps between mode-coverage checks, or 0 for none. */
  coverageEvery: number;
  /** Compute backend. */
  backend: BackendRequest;
  /** Root folder for run folders. */
  out: string;
  /** Folder for datasets. */
  dataDir: string;
  /** Suffix for the run folder name. */
  tag: string;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** String fields with a fixed set of values, by dotted key. */
const CHOICES: Record<string, readonly string[]> = {
  "dataset": ["mnist", "fashion-mnist", "cifar10"],
  "noise": ["uniform-sqrt3", "normal"],
  "generatorLoss": ["non-saturating", "minimax"],
  "updates": ["alternating", "simultaneous"],
  "discriminatorLoss": ["sum", "mean"],
  "backend": ["auto", "webgpu", "wasm", "cpu"],
  "data.range": ["unit", "symmetric"],
};

/** Keys that describe structure, not settings; `--set` may not change them. */
const FIXED = new Set(["preset", "purpose", "model.kind"]);

/**
 * Apply `key=value` overrides to a copy of `config`. Keys are dotted paths
 * (`model.hiddenKeep`, `generatorOptimizer.lr`); values are parsed as the
 * type the field already has.
 *
 * @throws {UserError} On an unknown key or a value of the wrong type.
 */
export function applyOverrides(
  config: TrainConfig,
  overrides: string[],
): TrainConfig {
  const copy = structuredClone(config) as unknown as Record<string, Json>;
  for (const item of overrides) {
    const eq = item.indexOf("=");
    if (eq <= 0) {
      throw new UserError(`--set expects key=value; got "${item}"`);
    }
    const key = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    setPath(copy, key, raw);
  }
  const result = copy as unknown as TrainConfig;
  validateConfig(result);
  return result;
}

function setPath(root: Record<string, Json>, key: string, raw: string) {
  const parts = key.split(".");
  let node: Record<string, Json> = root;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) {
      throw new UserError(`--set: unknown key "${key}"`);
    }
    node = next as Record<string, Json>;
  }
  const last = parts[parts.length - 1];
  if (!(last in node) || FIXED.has(key)) {
    throw new UserError(`--set: unknown key "${key}"`);
  }
  node[last] = parseLike(node[last], raw, key);
}

function parseLike(current: Json, raw: string, key: string): Json {
  const fail = (what: string): never => {
    throw new UserError(`--set ${key}: expected ${what}; got "${raw}"`);
  };
  if (typeof current === "number") {
    const v = Number(raw);
    return raw.trim() === "" || !Number.isFinite(v) ? fail("a number") : v;
  }
  if (typeof current === "boolean") {
    return raw === "true" ? true : raw === "false" ? false : fail("true|false");
  }
  if (typeof current === "string") {
    const choices = CHOICES[key];
    if (choices && !choices.includes(raw)) fail(`one of ${choices.join("|")}`);
    return raw;
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail("JSON");
  }
  if (Array.isArray(current) !== Array.isArray(parsed)) {
    fail(Array.isArray(current) ? "a JSON array" : "a JSON value");
  }
  return parsed;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new UserError(message);
}

/**
 * Check that every field of `config` is in range.
 *
 * @throws {UserError} Naming the first field that is not.
 */
export function validateConfig(config: TrainConfig): void {
  const int = (v: number) => Number.isInteger(v);
  check(
    int(config.steps) && config.steps >= 0,
    `steps must be an integer ≥ 0; got ${config.steps}`,
  );
  check(
    int(config.batchSize) && config.batchSize >= 1,
    `batchSize must be an integer ≥ 1; got ${config.batchSize}`,
  );
  check(
    int(config.discriminatorSteps) && config.discriminatorSteps >= 1,
    `discriminatorSteps (k) must be an integer ≥ 1; got ${config.discriminatorSteps}`,
  );
  check(
    int(config.checkpointEvery) && config.checkpointEvery >= 1,
    `checkpointEvery must be an integer ≥ 1; got ${config.checkpointEvery}`,
  );
  check(
    int(config.readEvery) && config.readEvery >= 1,
    `readEvery must be an integer ≥ 1; got ${config.readEvery}`,
  );
  check(
    int(config.coverageEvery) && config.coverageEvery >= 0,
    `coverageEvery must be an integer ≥ 0; got ${config.coverageEvery}`,
  );
  check(int(config.seed), `seed must be an integer; got ${config.seed}`);
  for (const [key, choices] of Object.entries(CHOICES)) {
    const value = key.split(".").reduce(
      (o: unknown, k) => (o as Record<string, unknown>)?.[k],
      config,
    );
    check(
      choices.includes(value as string),
      `${key} must be one of ${choices.join("|")}; got "${value}"`,
    );
  }
  validateModel(config.model);
  for (
    const name of ["discriminatorOptimizer", "generatorOptimizer"] as const
  ) {
    const o = config[name];
    check(o.lr > 0, `${name}.lr must be > 0; got ${o.lr}`);
    if (o.kind === "adam") {
      check(
        o.beta1 >= 0 && o.beta1 < 1,
        `${name}.beta1 must be in [0, 1); got ${o.beta1}`,
      );
      check(
        o.beta2 >= 0 && o.beta2 < 1,
        `${name}.beta2 must be in [0, 1); got ${o.beta2}`,
      );
    } else {
      check(o.decay >= 1, `${name}.decay must be ≥ 1; got ${o.decay}`);
      check(
        o.momentumStart >= 0 && o.momentumStart < 1 && o.momentumEnd >= 0 &&
          o.momentumEnd < 1,
        `${name} momentum must be in [0, 1)`,
      );
    }
  }
}
