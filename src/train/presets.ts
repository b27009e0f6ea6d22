/**
 * The named presets. Each lives in its own file under `./presets/`; this
 * module lists them and resolves a name.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import type { TrainConfig } from "./config.ts";
import { convergenceFail } from "./presets/convergence_fail.ts";
import { dBatchnorm } from "./presets/d_batchnorm.ts";
import { demeanedData } from "./presets/demeaned_data.ts";
import { doubledLr } from "./presets/doubled_lr.ts";
import { increasedMomentum } from "./presets/increased_momentum.ts";
import { lowDropout } from "./presets/low_dropout.ts";
import { modeCollapse } from "./presets/mode_collapse.ts";
import { paperCifar10 } from "./presets/paper_cifar10.ts";
import { paperMnist, paperMnistLong } from "./presets/paper_mnist.ts";
import { seedCifar10 } from "./presets/seed_cifar10.ts";
import { seedMnist } from "./presets/seed_mnist.ts";

/** Every preset, in the order `--list-presets` shows them. */
export const PRESETS: readonly TrainConfig[] = [
  paperMnist,
  paperMnistLong,
  paperCifar10,
  seedMnist,
  seedCifar10,
  modeCollapse,
  convergenceFail,
  dBatchnorm,
  demeanedData,
  lowDropout,
  doubledLr,
  increasedMomentum,
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
