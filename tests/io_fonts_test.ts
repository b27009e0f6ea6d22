import assert from "node:assert";
import { FONT_FAMILY, loadChartFonts } from "../src/io/fonts.ts";
import { decodePng } from "../src/io/png.ts";
import { svgToPng } from "../src/io/svg_to_png.ts";

/** Horizontal extent in pixels of the dark pixels of a rendered text. */
async function inkWidth(text: string, weight: string): Promise<number> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" ` +
    `height="80"><text x="10" y="55" font-family="${FONT_FAMILY}" ` +
    `font-weight="${weight}" font-size="40">${text}</text></svg>`;
  const image = decodePng(await svgToPng(svg));
  let lo = Infinity;
  let hi = -Infinity;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.data[(y * image.width + x) * image.channels] < 128) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
  }
  return hi - lo + 1;
}

Deno.test("loadChartFonts() measures text as wide as resvg draws it", async () => {
  const fonts = await loadChartFonts();
  for (const weight of ["normal", "bold"]) {
    for (const text of ["Discriminator error on fake", "iiiiiiii", "WWWW"]) {
      const measured = fonts.measure(text, `${weight} 40px ${FONT_FAMILY}`);
      const ink = await inkWidth(text, weight);
      // Advance widths exceed the ink by the side bearings at both ends,
      // a few pixels at 40 px.
      const gap = measured - ink;
      assert.ok(
        gap >= -2 && gap <= 12,
        `${weight} "${text}": measured ${measured}, ink ${ink}`,
      );
    }
  }
});

Deno.test("loadChartFonts() scales with size, weight and missing glyphs", async () => {
  const fonts = await loadChartFonts();
  const at12 = fonts.measure("step", "12px sans-serif");
  const at24 = fonts.measure("step", "24px sans-serif");
  assert.ok(Math.abs(at24 - 2 * at12) < 1e-9, `${at12} vs ${at24}`);
  assert.ok(
    fonts.measure("abc", "bold 12px x") > fonts.measure("abc", "12px x"),
    "bold is not wider",
  );
  // U+E000 is a private-use code point DejaVu Sans has no glyph for.
  assert.ok(Math.abs(fonts.measure("\ue000", "10px x") - 6) < 1e-9);
  assert.strictEqual(fonts.buffers.length, 2);
});
