/**
 * Training curves and line charts as PNG files, with no browser: echarts
 * renders the chart to an SVG string on the server side, and resvg
 * rasterizes it (see `svg_to_png.ts`).
 *
 * @module
 */
import * as echarts from "echarts";
import { type ChartFonts, FONT_FAMILY, loadChartFonts } from "./fonts.ts";
import { svgToPng } from "./svg_to_png.ts";

/** One logged training step, as plotted by {@linkcode renderMetricsPng}. */
export interface MetricsRow {
  /** Training step (generator updates). */
  step: number;
  /** D's cross-entropy on real data, `−log D(x)` averaged. */
  dLossReal: number;
  /** D's cross-entropy on generated data, `−log(1 − D(G(z)))` averaged. */
  dLossFake: number;
  /** G's loss as the trainer minimizes it, e.g. `−log D(G(z))` averaged. */
  gLoss: number;
  /** D's error rate on real data, 0..1 (share with `D(x) < 0.5`). */
  dErrReal: number;
  /** D's error rate on generated data, 0..1 (share with `D(G(z)) ≥ 0.5`). */
  dErrFake: number;
}

/** Options for {@linkcode renderMetricsPng}. */
export interface MetricsPlotOptions {
  /** Title above both panels. @default {"Training metrics"} */
  title?: string;
  /** Image width in pixels. @default {1400} */
  width?: number;
  /** Image height in pixels. @default {500} */
  height?: number;
  /**
   * Most points drawn per curve; longer runs are averaged over equal
   * buckets of consecutive rows first.
   * @default {2000}
   */
  maxPoints?: number;
}

/** One curve of {@linkcode renderLinePlot}. */
export interface LineSeries {
  /** Legend label. */
  name: string;
  /** Abscissae, as long as `y`. */
  x: number[];
  /** Ordinates; non-finite values leave a gap. */
  y: number[];
  /** Draw the line dashed. @default {false} */
  dashed?: boolean;
}

/** Options for {@linkcode renderLinePlot}. */
export interface LinePlotOptions {
  /** Chart title. */
  title: string;
  /** X-axis label. */
  xLabel: string;
  /** Y-axis label. */
  yLabel: string;
  /** Fixed y-axis limits; fitted to the data when omitted. */
  yRange?: [number, number];
  /** Image width in pixels. @default {900} */
  width?: number;
  /** Image height in pixels. @default {500} */
  height?: number;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
const TEXT = { fontFamily: FONT_FAMILY, fontSize: 13, color: "#222" };

const METRIC_KEYS = [
  "step",
  "dLossReal",
  "dLossFake",
  "gLoss",
  "dErrReal",
  "dErrFake",
] as const;

type Point = [number, number | null];

let measuring: Promise<ChartFonts> | undefined;

/**
 * Render GAN training curves as a PNG: losses on the left, D's error rates
 * on the right, against the training step.
 *
 * @param rows The logged steps, in step order.
 * @param options Title, size and point budget.
 * @returns The PNG file contents.
 *
 * @example
 * ```ts
 * const png = await renderMetricsPng([
 *   { step: 0, dLossReal: 0.7, dLossFake: 0.7, gLoss: 0.7,
 *     dErrReal: 0.5, dErrFake: 0.5 },
 *   { step: 100, dLossReal: 0.5, dLossFake: 0.4, gLoss: 1.2,
 *     dErrReal: 0.2, dErrFake: 0.1 },
 * ]);
 * ```
 */
export async function renderMetricsPng(
  rows: MetricsRow[],
  options: MetricsPlotOptions = {},
): Promise<Uint8Array> {
  const width = options.width ?? 1400;
  const height = options.height ?? 500;
  const shown = bucketMeans(rows, options.maxPoints ?? 2000);
  const curve = (key: keyof MetricsRow): Point[] =>
    shown.map((r) => [r.step, finiteOrNull(r[key])]);

  const fonts = await useChartFonts();
  const losses = ["D loss on real", "D loss on fake", "G loss"];
  const errors = ["D error on real", "D error on fake"];

  // Two panels in pixels: [left, right] edges of each plotting area.
  const panels = [[80, width / 2 - 40], [width / 2 + 70, width - 30]];
  const centers = panels.map(([l, r]) => (l + r) / 2);
  const option = {
    title: [
      chartTitle(options.title ?? "Training metrics"),
      panelTitle("Losses", centers[0]),
      panelTitle("Discriminator error", centers[1]),
    ],
    legend: [
      centredLegend(losses, centers[0], 66, fonts),
      centredLegend(errors, centers[1], 66, fonts),
    ],
    grid: panels.map(([l, r]) => ({
      left: l,
      right: width - r,
      top: 100,
      bottom: 60,
    })),
    xAxis: [0, 1].map((gridIndex) =>
      valueAxis("step", { gridIndex, scale: true })
    ),
    yAxis: [
      valueAxis("loss", { gridIndex: 0, scale: true, nameGap: 50 }),
      valueAxis("error rate", { gridIndex: 1, min: 0, max: 1, nameGap: 45 }),
    ],
    series: [
      lineSeries(losses[0], curve("dLossReal"), COLORS[0], 0),
      lineSeries(losses[1], curve("dLossFake"), COLORS[1], 0),
      lineSeries(losses[2], curve("gLoss"), COLORS[2], 0),
      lineSeries(errors[0], curve("dErrReal"), COLORS[0], 1),
      lineSeries(errors[1], curve("dErrFake"), COLORS[1], 1),
    ],
  };
  return await renderOption(option, width, height);
}

/**
 * Render a single-panel line chart as a PNG, e.g. the paper's Figure 1:
 * the data density, the generator density and D(x) over x.
 *
 * @param series The curves, drawn in order with distinct colours.
 * @param options Title, axis labels, y limits and size.
 * @returns The PNG file contents.
 * @throws {RangeError} When a series has `x` and `y` of different lengths.
 *
 * @example
 * ```ts
 * const x = [0, 1, 2, 3];
 * const png = await renderLinePlot(
 *   [{ name: "D(x)", x, y: [0.9, 0.7, 0.4, 0.2], dashed: true }],
 *   { title: "Discriminator", xLabel: "x", yLabel: "D(x)", yRange: [0, 1] },
 * );
 * ```
 */
export async function renderLinePlot(
  series: LineSeries[],
  options: LinePlotOptions,
): Promise<Uint8Array> {
  for (const s of series) {
    if (s.x.length !== s.y.length) {
      throw new RangeError(
        `Series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`,
      );
    }
  }
  const fonts = await useChartFonts();
  const width = options.width ?? 900;
  const [yMin, yMax] = options.yRange ?? [undefined, undefined];
  const names = series.map((s) => s.name);
  const option = {
    title: chartTitle(options.title),
    legend: centredLegend(names, (80 + width - 30) / 2, 40, fonts),
    grid: { left: 80, right: 30, top: 76, bottom: 60 },
    xAxis: valueAxis(options.xLabel, {}),
    yAxis: valueAxis(options.yLabel, {
      min: yMin,
      max: yMax,
      scale: yMin === undefined,
      nameGap: 50,
    }),
    series: series.map((s, i) =>
      lineSeries(
        s.name,
        s.x.map((x, j): Point => [x, finiteOrNull(s.y[j])]),
        COLORS[i % COLORS.length],
        0,
        s.dashed,
      )
    ),
  };
  return await renderOption(option, width, options.height ?? 500);
}

/**
 * Load the chart fonts and make echarts measure text with them, so legend
 * items and labels are spaced for the glyphs resvg will draw. The platform
 * API is global to echarts, hence set once.
 */
function useChartFonts(): Promise<ChartFonts> {
  measuring ??= loadChartFonts().then((fonts) => {
    echarts.setPlatformAPI({
      measureText: (text: string, font?: string) => ({
        width: fonts.measure(text, font ?? `12px ${FONT_FAMILY}`),
      }),
    });
    return fonts;
  });
  return measuring;
}

function chartTitle(text: string): Record<string, unknown> {
  const textStyle = { ...TEXT, fontSize: 18 };
  return { text, left: "center", top: 8, textStyle };
}

function panelTitle(text: string, centre: number): Record<string, unknown> {
  const textStyle = { ...TEXT, fontSize: 15 };
  return { text, left: centre, top: 40, textAlign: "center", textStyle };
}

/** A one-row legend centred on `centre` px (echarts centres on the chart). */
function centredLegend(
  names: string[],
  centre: number,
  top: number,
  fonts: ChartFonts,
): Record<string, unknown> {
  const font = `${TEXT.fontSize}px ${FONT_FAMILY}`;
  const itemWidth = 28;
  const itemGap = 16;
  // Each item: icon, 5 px, label; items separated by itemGap.
  const total = names.reduce(
    (sum, name) => sum + itemWidth + 5 + fonts.measure(name, font),
    itemGap * (names.length - 1),
  );
  return {
    data: names,
    left: Math.max(0, centre - total / 2),
    top,
    itemWidth,
    itemGap,
    // Line samples only: hide the marker echarts draws over them.
    itemStyle: { opacity: 0 },
    textStyle: TEXT,
  };
}

async function renderOption(
  option: Record<string, unknown>,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const chart = echarts.init(null, null, {
    renderer: "svg",
    ssr: true,
    width,
    height,
  });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: "#ffffff",
      textStyle: TEXT,
      ...option,
    });
    return await svgToPng(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

function valueAxis(
  name: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type: "value",
    name,
    nameLocation: "middle",
    nameGap: 30,
    nameTextStyle: { ...TEXT, fontSize: 14 },
    axisLabel: TEXT,
    axisLine: { show: true, onZero: false, lineStyle: { color: "#444" } },
    axisTick: { show: true },
    splitLine: { lineStyle: { color: "#e6e6e6" } },
    ...extra,
  };
}

function lineSeries(
  name: string,
  data: Point[],
  color: string,
  panel: number,
  dashed = false,
): Record<string, unknown> {
  return {
    type: "line",
    name,
    data,
    xAxisIndex: panel,
    yAxisIndex: panel,
    // No marker per point, except for a lone point, which would otherwise
    // be invisible.
    symbol: data.length === 1 ? "circle" : "none",
    color,
    lineStyle: { width: 1.6, color, type: dashed ? "dashed" : "solid" },
    connectNulls: false,
  };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * Shorten a series to at most `maxPoints` rows by averaging equal buckets
 * of consecutive rows (step included); non-finite values are skipped.
 */
function bucketMeans(rows: MetricsRow[], maxPoints: number): MetricsRow[] {
  if (rows.length <= maxPoints) return rows;
  const size = Math.ceil(rows.length / maxPoints);
  const out: MetricsRow[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const bucket = rows.slice(start, start + size);
    const mean = {} as MetricsRow;
    for (const key of METRIC_KEYS) {
      const values = bucket.map((r) => r[key]).filter(Number.isFinite);
      mean[key] = values.length
        ? values.reduce((a, b) => a + b, 0) / values.length
        : NaN;
    }
    out.push(mean);
  }
  return out;
}
