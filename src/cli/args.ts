/**
 * Flag parsing shared by the tasks: `node:util` parseArgs in strict mode,
 * with errors rewritten as one line that names the flag, and typed readers
 * for numeric flags.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "./errors.ts";

/** The option table `parseArgs` takes. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parse `args` against `options`, rejecting unknown flags and stray
 * positionals with a one-line {@linkcode UserError}.
 */
export function parseFlags<T extends FlagSpec>(
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ options: T; strict: true }>>["values"] {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) {
      throw new UserError(`unexpected argument "${positionals[0]}"`);
    }
    return values;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      const flag = ambiguous[1];
      throw new UserError(
        `${flag} was given a value starting with "-"; write it as ${flag}=VALUE`,
      );
    }
    // Node's message adds a hint on positionals after the first sentence.
    const first = message.split("\n")[0].split(". To specify")[0];
    throw new UserError(first.replace(/\.$/, ""));
  }
}

/** Bounds for {@linkcode readInt}. */
export interface IntBounds {
  /** Smallest accepted value. @default {Number.MIN_SAFE_INTEGER} */
  min?: number;
  /** Largest accepted value. @default {Number.MAX_SAFE_INTEGER} */
  max?: number;
}

/**
 * Read an integer flag value, or `undefined` when the flag was absent.
 *
 * @throws {UserError} Naming the flag when the value is not an integer in
 *   range.
 */
export function readInt(
  flag: string,
  value: string | undefined,
  bounds: IntBounds = {},
): number | undefined {
  if (value === undefined) return undefined;
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } =
    bounds;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER
      ? `≥ ${min}`
      : `from ${min} to ${max}`;
    throw new UserError(
      `--${flag} must be an integer ${range}; got "${value}"`,
    );
  }
  return n;
}
