import assert from "node:assert";
import { decodePng, type RasterImage } from "../src/io/png.ts";
import {
  type MetricsRow,
  renderLinePlot,
  renderMetricsPng,
} from "../src/io/plot.ts";

// The series colours plot.ts uses, in order.
const BLUE = [0x1f, 0x77, 0xb4];
const ORANGE = [0xff, 0x7f, 0x0e];
const GREEN = [0x2c, 0xa0, 0x2c];

/** Pixels within `tol` of `rgb` on every channel, in columns [x0, x1). */
function countNear(
  image: RasterImage,
  rgb: number[],
  options: { tol?: number; x0?: number; x1?: number } = {},
): number {
  const { tol = 24, x0 = 0, x1 = image.width } = options;
  let n = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = x0; x < x1; x++) {
      const p = (y * image.width + x) * image.channels;
      if (rgb.every((v, k) => Math.abs(image.data[p + k] - v) <= tol)) n++;
    }
  }
  return n;
}

function distinctColours(image: RasterImage): number {
  const seen = new Set<number>();
  for (let p = 0; p < image.data.length; p += image.channels) {
    seen.add(
      (image.data[p] << 16) | (image.data[p + 1] << 8) | image.data[p + 2],
    );
  }
  return seen.size;
}

function fakeRun(steps: number): MetricsRow[] {
  return Array.from({ length: steps }, (_, i) => {
    const t = i / steps;
    const wiggle = Math.sin(i * 0.37) * 0.05;
    return {
      step: i * 10,
      dLossReal: 0.6 - 0.2 * t + wiggle,
      dLossFake: 0.5 - 0.1 * t - wiggle,
      gLoss: 1.2 + 0.5 * t + wiggle,
      dErrReal: 0.3 * (1 - t),
      dErrFake: 0.25 + wiggle,
    };
  });
}

Deno.test("renderMetricsPng() draws both panels at the default size", async () => {
  const image = decodePng(await renderMetricsPng(fakeRun(500)));
  assert.strictEqual(image.width, 1400);
  assert.strictEqual(image.height, 500);
  assert.ok(distinctColours(image) > 50, `${distinctColours(image)} colours`);

  // White background: most pixels are white.
  const white = countNear(image, [255, 255, 255], { tol: 0 });
  assert.ok(white > 0.7 * image.width * image.height, `${white} white px`);

  // G's loss (green) only in the left half; real/fake curves in both.
  const half = image.width / 2;
  const green = countNear(image, GREEN, { x1: half });
  const greenRight = countNear(image, GREEN, { x0: half });
  assert.ok(green > 300, `${green} green px on the left`);
  assert.ok(greenRight < 10, `${greenRight} green px on the right`);
  for (const [name, rgb] of [["blue", BLUE], ["orange", ORANGE]] as const) {
    const left = countNear(image, rgb, { x1: half });
    const right = countNear(image, rgb, { x0: half });
    assert.ok(left > 300 && right > 300, `${name}: ${left} | ${right} px`);
  }
});

Deno.test("renderMetricsPng() handles long runs, gaps and custom sizes", async () => {
  const rows = fakeRun(30_000);
  rows[100].gLoss = NaN;
  rows[200].dErrFake = Infinity;
  const png = await renderMetricsPng(rows, {
    title: "long run",
    width: 900,
    height: 400,
    maxPoints: 500,
  });
  const image = decodePng(png);
  assert.strictEqual(image.width, 900);
  assert.strictEqual(image.height, 400);
  assert.ok(countNear(image, GREEN) > 200, "no G loss curve");
});

Deno.test("renderMetricsPng() renders a single row and no rows", async () => {
  for (const rows of [fakeRun(1), []]) {
    const image = decodePng(await renderMetricsPng(rows, { width: 600 }));
    assert.strictEqual(image.width, 600);
    assert.ok(distinctColours(image) > 10, `${rows.length} rows: blank`);
  }
});

Deno.test("renderLinePlot() draws each series in its colour", async () => {
  const x = Array.from({ length: 101 }, (_, i) => -4 + 0.08 * i);
  const gauss = (m: number) =>
    x.map((v) => Math.exp(-((v - m) ** 2) / 2) / Math.sqrt(2 * Math.PI));
  const png = await renderLinePlot([
    { name: "p_data", x, y: gauss(-0.5), dashed: true },
    { name: "p_g", x, y: gauss(0.5) },
    { name: "D(x)", x, y: x.map((v) => 1 / (1 + Math.exp(v))) },
  ], {
    title: "Figure 1",
    xLabel: "x",
    yLabel: "density",
    yRange: [0, 1],
    width: 640,
    height: 360,
  });
  const image = decodePng(png);
  assert.strictEqual(image.width, 640);
  assert.strictEqual(image.height, 360);
  assert.ok(distinctColours(image) > 50, `${distinctColours(image)} colours`);
  for (const [name, rgb] of [["blue", BLUE], ["orange", ORANGE]] as const) {
    const n = countNear(image, rgb);
    assert.ok(n > 150, `${name}: ${n} px`);
  }
  assert.ok(countNear(image, GREEN) > 150, "no D(x) curve");
});

Deno.test("renderLinePlot() refuses x and y of different lengths", async () => {
  await assert.rejects(
    renderLinePlot([{ name: "bad", x: [1, 2], y: [1] }], {
      title: "t",
      xLabel: "x",
      yLabel: "y",
    }),
    RangeError,
  );
});
