/**
 * The one font family used in rendered charts, DejaVu Sans (regular and
 * bold), loaded from the `dejavu-fonts-ttf` npm package, with text
 * measurement from the fonts' own advance widths.
 *
 * The same bytes serve two purposes: resvg draws the text with them (it
 * cannot load system fonts under WebAssembly), and echarts lays out
 * legends and labels with widths measured from them. Without the latter,
 * echarts guesses widths from an Arial-like table and DejaVu's wider glyphs
 * overlap neighbouring legend items.
 *
 * @module
 */
// The package has no JavaScript entry point: this import is what puts it in
// the module graph, so Deno installs it (see npm_asset.ts).
import "dejavu-fonts-ttf/package.json" with { type: "json" };
import { readNpmFile } from "./npm_asset.ts";

/** The font family name to use in SVG text rendered with these fonts. */
export const FONT_FAMILY = "DejaVu Sans";

const FILES = {
  regular: "dejavu-fonts-ttf/ttf/DejaVuSans.ttf",
  bold: "dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf",
};
/** Width of a character the font lacks, in em. */
const FALLBACK_EM = 0.6;

/** The loaded chart fonts. */
export interface ChartFonts {
  /** The TrueType files, regular then bold, for resvg's `fontBuffers`. */
  buffers: Uint8Array[];
  /**
   * Width in pixels of `text` set in a CSS `font` such as
   * `"bold 14px DejaVu Sans"` (size and weight are read; family ignored).
   */
  measure(text: string, font: string): number;
}

let loaded: Promise<ChartFonts> | undefined;

/**
 * Load DejaVu Sans regular and bold once per process.
 *
 * @returns The font files and a text measurer.
 */
export function loadChartFonts(): Promise<ChartFonts> {
  loaded ??= (async () => {
    const regular = await readNpmFile(FILES.regular);
    const bold = await readNpmFile(FILES.bold);
    const widths = {
      regular: advanceWidths(regular),
      bold: advanceWidths(bold),
    };
    const measure = (text: string, font: string): number => {
      const size = Number(/(\d+(?:\.\d+)?)px/.exec(font)?.[1] ?? 12);
      const table = /\b(bold|bolder|[6-9]00)\b/.test(font)
        ? widths.bold
        : widths.regular;
      let em = 0;
      for (let i = 0; i < text.length; i++) {
        em += table[text.charCodeAt(i)] || FALLBACK_EM;
      }
      return em * size;
    };
    return { buffers: [regular, bold], measure };
  })();
  return loaded;
}

/**
 * Advance width in em of every Basic Multilingual Plane character of a
 * TrueType font, 0 where the font has no glyph. Reads the `head`, `hhea`,
 * `hmtx` and format-4 `cmap` tables
 * (https://learn.microsoft.com/typography/opentype/spec/).
 */
function advanceWidths(ttf: Uint8Array): Float32Array {
  const view = new DataView(ttf.buffer, ttf.byteOffset, ttf.byteLength);
  const tables = new Map<string, number>();
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    const tag = String.fromCharCode(...ttf.subarray(rec, rec + 4));
    tables.set(tag, view.getUint32(rec + 8));
  }
  const table = (tag: string): number => {
    const at = tables.get(tag);
    if (at === undefined) throw new Error(`Font lacks a '${tag}' table`);
    return at;
  };

  // Glyph advances: hmtx holds numberOfHMetrics pairs; later glyphs reuse
  // the last advance.
  const unitsPerEm = view.getUint16(table("head") + 18);
  const numMetrics = view.getUint16(table("hhea") + 34);
  const hmtx = table("hmtx");
  const advance = (glyph: number): number =>
    view.getUint16(hmtx + 4 * Math.min(glyph, numMetrics - 1)) / unitsPerEm;

  // The Unicode BMP subtable: platform 3 encoding 1, or platform 0.
  const cmap = table("cmap");
  let sub = -1;
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = view.getUint16(rec);
    const encoding = view.getUint16(rec + 2);
    const at = cmap + view.getUint32(rec + 4);
    if ((platform === 3 && encoding === 1) || platform === 0) {
      if (view.getUint16(at) === 4) sub = at;
    }
  }
  if (sub < 0) throw new Error("Font has no format-4 Unicode cmap");

  // Format 4: segments [start, end] mapped by a delta or a glyph array.
  const widths = new Float32Array(0x10000);
  const segs = view.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segs + 2;
  const deltas = starts + 2 * segs;
  const rangeOffsets = deltas + 2 * segs;
  for (let s = 0; s < segs; s++) {
    const start = view.getUint16(starts + 2 * s);
    const end = view.getUint16(ends + 2 * s);
    const delta = view.getInt16(deltas + 2 * s);
    const rangeAt = rangeOffsets + 2 * s;
    const rangeOffset = view.getUint16(rangeAt);
    for (let c = start; c <= end && c < 0xffff; c++) {
      let glyph = c;
      if (rangeOffset !== 0) {
        glyph = view.getUint16(rangeAt + rangeOffset + 2 * (c - start));
        if (glyph === 0) continue;
      }
      glyph = (glyph + delta) & 0xffff;
      if (glyph !== 0) widths[c] = advance(glyph);
    }
  }
  return widths;
}
