/**
 * webgan's version, recorded in every run's `config.json`. A test keeps it
 * equal to the version in `deno.json`.
 *
 * @module
 */

/** The webgan release this code is. */
export const VERSION = "0.1.0";
