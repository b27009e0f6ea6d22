/**
 * `metrics.csv`: one row per training step, appended as training goes and
 * cut back to the checkpoint's rows on resume, so the series has neither a
 * gap nor a duplicate.
 *
 * @module
 */
import { METRIC_COLUMNS, type StepMetrics } from "./session.ts";

/** The CSV header line, with its newline. */
export const METRICS_HEADER = METRIC_COLUMNS.join(",") + "\n";

/** Rows as CSV lines (no header). */
export function metricsToCsv(rows: StepMetrics[]): string {
  return rows.map((r) => METRIC_COLUMNS.map((c) => r[c]).join(",") + "\n")
    .join("");
}

/**
 * Parse a metrics CSV written by webgan. A torn last line (from a killed
 * process) is dropped.
 */
export function parseMetricsCsv(text: string): StepMetrics[] {
  const lines = text.split("\n");
  const header = lines.shift()?.split(",") ?? [];
  const rows: StepMetrics[] = [];
  for (const line of lines) {
    const cells = line.split(",");
    if (cells.length !== header.length) continue;
    const row: Record<string, number> = {};
    header.forEach((h, i) => (row[h] = Number(cells[i])));
    rows.push(row as unknown as StepMetrics);
  }
  return rows;
}
