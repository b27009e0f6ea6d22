/**
 * Pure text formatting for the terminal: durations, byte counts, rates and
 * progress bars. Nothing here writes; the tasks in `tasks/` do.
 *
 * @module
 */

/** Format seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** Format a byte count as `1.2 MB` (powers of 1000). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Options for {@linkcode formatProgress}. */
export interface ProgressOptions {
  /** Bar width in characters. @default {24} */
  width?: number;
  /** Text after the counts (losses, rates). @default {""} */
  suffix?: string;
  /** Render `done/total` as byte counts. @default {false} */
  bytes?: boolean;
  /** Units already done when timing started (a resumed run). @default {0} */
  initial?: number;
}

/**
 * Render one progress line: a bar, the counts, the rate and the ETA.
 *
 * @param done Units finished so far.
 * @param total Units in all, or 0 when unknown.
 * @param elapsedSeconds Time since the work started.
 */
export function formatProgress(
  done: number,
  total: number,
  elapsedSeconds: number,
  options: ProgressOptions = {},
): string {
  const { width = 24, suffix = "", bytes = false, initial = 0 } = options;
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(frac * width);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const rate = elapsedSeconds > 0 ? (done - initial) / elapsedSeconds : 0;
  const eta = rate > 0 && total > 0 ? (total - done) / rate : NaN;
  const counts = bytes
    ? `${formatBytes(done)}/${total > 0 ? formatBytes(total) : "?"}`
    : `${done}/${total}`;
  const rateText = bytes
    ? `${formatBytes(rate)}/s`
    : `${rate >= 10 ? rate.toFixed(1) : rate.toFixed(2)} it/s`;
  const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
  const tail = suffix ? ` ${suffix}` : "";
  return `${bar} ${pct} ${counts} ${rateText} ETA ${
    formatDuration(eta)
  }${tail}`;
}
