/**
 * The named presets. Each lives in its own file under `./presets/`; this
 * module lists them and resolves a name.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import type { TrainConfig } from "./config.ts";
import { paperMnist, paperMnistLong } from "./presets/paper_mnist.ts";

/** Every preset, in the order `--list-presets` shows them. */
export const PRESETS: readonly TrainConfig[] = [
  paperMnist,
  paperMnistLong,
];

/** The preset used when none is named. */
export const DEFAULT_PRESET = "paper-mnist";

/**
 * A deep copy of the preset called `name`.
 *
 * @throws {UserError} Listing the known names when `name` is unknown.
 */
export function getPreset(name: string): TrainConfig {
  const found = PRESETS.find((p) => p.preset === name);
  if (!found) {
    const names = PRESETS.map((p) => p.preset).join(", ");
    throw new UserError(`unknown preset "${name}"; known presets: ${names}`);
  }
  return structuredClone(found);
}
