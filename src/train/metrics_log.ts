/**
 * `metrics.csv`: one row per training step, appended as training goes and
 * cut back to the checkpoint's rows on resume, so the series has neither a
 * gap nor a duplicate.
 *
 * Runs with mode coverage on (`coverageEvery` > 0) add the columns
 * `classesCovered,coverageJsd`, filled on the steps where coverage was
 * measured and blank on the others. A blank cell parses as an absent field,
 * and a CSV without those columns parses as before.
 *
 * @module
 */
import {
  COVERAGE_COLUMNS,
  METRIC_COLUMNS,
  type StepMetrics,
} from "./session.ts";

/** One column of `metrics.csv`. */
export type MetricColumn = keyof StepMetrics;

/** The CSV header line of a run without coverage, with its newline. */
export const METRICS_HEADER = metricsHeader();

/**
 * The columns of a run's CSV.
 *
 * @param options.coverage Whether the run records mode coverage.
 * @returns The base columns, then the coverage ones when asked for.
 */
export function metricsColumns(
  options: { coverage?: boolean } = {},
): readonly MetricColumn[] {
  return options.coverage
    ? [...METRIC_COLUMNS, ...COVERAGE_COLUMNS]
    : METRIC_COLUMNS;
}

/** The header line for `columns`, with its newline. */
export function metricsHeader(
  columns: readonly MetricColumn[] = METRIC_COLUMNS,
): string {
  return columns.join(",") + "\n";
}

/**
 * Rows as CSV lines (no header); a field a row lacks is a blank cell.
 *
 * @param rows The rows, in step order.
 * @param columns The columns to write. @default {METRIC_COLUMNS}
 */
export function metricsToCsv(
  rows: StepMetrics[],
  columns: readonly MetricColumn[] = METRIC_COLUMNS,
): string {
  return rows.map((r) => columns.map((c) => r[c] ?? "").join(",") + "\n")
    .join("");
}

/**
 * Parse a metrics CSV written by webgan. A torn last line (from a killed
 * process) is dropped; a blank cell leaves its field out of the row.
 */
export function parseMetricsCsv(text: string): StepMetrics[] {
  const lines = text.split("\n");
  const header = lines.shift()?.split(",") ?? [];
  const rows: StepMetrics[] = [];
  for (const line of lines) {
    const cells = line.split(",");
    if (cells.length !== header.length) continue;
    const row: Record<string, number> = {};
    header.forEach((h, i) => {
      if (cells[i] !== "") row[h] = Number(cells[i]);
    });
    rows.push(row as unknown as StepMetrics);
  }
  return rows;
}
