/**
 * The terminal side of webgan's tasks: a progress line that redraws in place
 * on a terminal and falls back to plain log lines elsewhere, and the one-line
 * error handling every task shares.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { formatProgress, type ProgressOptions } from "../src/cli/format.ts";
import { UserError } from "../src/cli/errors.ts";

const encoder = new TextEncoder();

/** A progress display for one long piece of work. */
export class Progress {
  #label: string;
  #total: number;
  #start = performance.now();
  #tty = Deno.stdout.isTerminal();
  #lastPlain = 0;
  #plainEvery: number;
  #options: ProgressOptions;

  /**
   * @param label Shown before the bar, e.g. "train" or a file name.
   * @param total Units in all (steps, bytes), or 0 when unknown.
   * @param options Formatting options, plus how often (seconds) to log a
   *   plain line when stdout is not a terminal.
   */
  constructor(
    label: string,
    total: number,
    options: ProgressOptions & { plainEverySeconds?: number } = {},
  ) {
    this.#label = label;
    this.#total = total;
    this.#plainEvery = (options.plainEverySeconds ?? 10) * 1000;
    this.#options = options;
  }

  /** Seconds since this display started. */
  get elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }

  /** Redraw with `done` units finished and an optional suffix. */
  update(done: number, suffix = "", force = false): void {
    const line = `${this.#label} ${
      formatProgress(done, this.#total, this.elapsed, {
        ...this.#options,
        suffix,
      })
    }`;
    if (this.#tty) {
      Deno.stdout.writeSync(encoder.encode(`\r\x1b[2K${line}`));
      return;
    }
    const now = performance.now();
    if (force || now - this.#lastPlain >= this.#plainEvery) {
      this.#lastPlain = now;
      console.log(line);
    }
  }

  /** Print a message above the bar without garbling it. */
  log(message: string): void {
    if (this.#tty) Deno.stdout.writeSync(encoder.encode("\r\x1b[2K"));
    console.log(message);
  }

  /** Finish the bar, leaving its last state on screen. */
  done(done: number, suffix = ""): void {
    this.update(done, suffix, true);
    if (this.#tty) Deno.stdout.writeSync(encoder.encode("\n"));
  }
}

/**
 * Run a task's main function: a {@linkcode UserError} becomes one line on
 * stderr and its exit code, as does a permission the task was not started
 * with (say `--out` outside the folders its `deno task` line may write);
 * anything else is a bug and keeps its stack.
 */
export async function runTask(main: () => Promise<number | void>) {
  try {
    const code = await main();
    Deno.exit(code ?? 0);
  } catch (err) {
    if (err instanceof UserError) {
      console.error(`error: ${err.message}`);
      Deno.exit(err.exitCode);
    }
    if (err instanceof Deno.errors.NotCapable) {
      const first = err.message.split("\n")[0];
      console.error(
        `error: ${first} (the task's permissions in deno.json allow less)`,
      );
      Deno.exit(2);
    }
    throw err;
  }
}
