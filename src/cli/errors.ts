/**
 * The error type for problems a user can fix: a bad flag, a missing or
 * corrupt file, an unreachable mirror. Tasks print its message as one line
 * and exit non-zero; anything else is a bug and keeps its stack trace.
 *
 * @module
 */

/** An error caused by user input or the environment, shown as one line. */
export class UserError extends Error {
  /** The process exit code a task should use for this error. */
  readonly exitCode: number;

  /**
   * Create an error to be shown to the user as one line.
   *
   * @param message One sentence naming what was wrong and the value seen.
   * @param exitCode The exit code for the task. @default {2}
   */
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}
