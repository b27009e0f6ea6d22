/**
 * SVG to PNG rasterization with resvg compiled to WebAssembly, so plots
 * render identically on every machine with no native dependency.
 *
 * resvg-wasm cannot read system fonts, so text is set in DejaVu Sans,
 * handed to it as font buffers (see `fonts.ts`).
 *
 * @module
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { FONT_FAMILY, loadChartFonts } from "./fonts.ts";
import { readNpmFile } from "./npm_asset.ts";

const WASM_FILE = "@resvg/resvg-wasm/index_bg.wasm";

/** Options for {@linkcode svgToPng}. */
export interface SvgToPngOptions {
  /**
   * Fill colour behind the SVG, any CSS colour; `undefined` keeps it
   * transparent.
   * @default {"white"}
   */
  background?: string;
}

let wasmPromise: Promise<void> | undefined;

/**
 * Rasterize an SVG document to PNG bytes at its own width and height.
 *
 * The first call loads the resvg WebAssembly module (about 2.5 MB) and the
 * fonts (about 1.5 MB) from Deno's npm cache; later calls reuse them. Needs
 * read permission on that cache.
 *
 * @param svg The SVG document text.
 * @param options Background colour.
 * @returns An RGBA PNG file.
 *
 * @example
 * ```ts
 * const png = await svgToPng(
 *   '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
 * );
 * ```
 */
export async function svgToPng(
  svg: string,
  options: SvgToPngOptions = {},
): Promise<Uint8Array> {
  const [fonts] = await Promise.all([loadChartFonts(), loadWasm()]);
  const resvg = new Resvg(svg, {
    background: "background" in options ? options.background : "white",
    font: {
      fontBuffers: fonts.buffers,
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  try {
    const rendered = resvg.render();
    try {
      return rendered.asPng();
    } finally {
      rendered.free();
    }
  } finally {
    resvg.free();
  }
}

function loadWasm(): Promise<void> {
  wasmPromise ??= (async () => {
    try {
      await initWasm(await readNpmFile(WASM_FILE));
    } catch (err) {
      // resvg-wasm keeps one instance per process and refuses a second
      // init; another module having done it is fine.
      if (!String(err).includes("Already initialized")) throw err;
    }
  })();
  return wasmPromise;
}
