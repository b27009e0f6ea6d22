/**
 * Reading non-JavaScript files (WebAssembly, fonts) shipped inside npm
 * packages, wherever Deno installed them.
 *
 * `import.meta.resolve` is what works here. For a package that Deno has
 * installed it returns the file's URL in the global npm cache (or in
 * `node_modules/` when a project uses one), whatever the working directory,
 * and the file is then read with `fetch`. Alternatives that fail:
 * `createRequire(import.meta.url).resolve` finds only packages that are
 * themselves imported as code (not a font-only package), and a
 * `with { type: "bytes" }` import still needs `--unstable-raw-imports`.
 *
 * A package must be in the module graph to be installed, so each caller
 * statically imports something from it. The bare name goes through
 * deno.json's import map; the `npm:` form is the fallback when webgan is
 * imported from another project (JSR rewrites import specifiers but not
 * `import.meta.resolve` arguments) and picks the version the graph holds.
 *
 * @module
 */

/**
 * Read a file from an installed npm package.
 *
 * @param specifier Package name and path, e.g. `"pkg/dist/file.wasm"`.
 * @returns The file contents.
 * @throws {Error} When the package is not installed; running
 * `deno install` in the webgan folder fixes that.
 *
 * @example
 * ```ts
 * const wasm = await readNpmFile("@resvg/resvg-wasm/index_bg.wasm");
 * ```
 */
export async function readNpmFile(specifier: string): Promise<Uint8Array> {
  const url = resolveNpmFile(specifier);
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Cannot read ${url}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The URL of a file in an installed npm package.
 *
 * @param specifier Package name and path, e.g. `"pkg/dist/file.wasm"`.
 * @returns A `file:` URL (or `http(s):` if an import map points there).
 * @throws {Error} When the package is not installed.
 */
export function resolveNpmFile(specifier: string): URL {
  const seen: string[] = [];
  for (const candidate of [specifier, `npm:${specifier}`]) {
    try {
      const resolved = import.meta.resolve(candidate);
      // A package missing from the cache comes back as an `npm:` URL.
      if (/^(file|https?):/.test(resolved)) return new URL(resolved);
      seen.push(resolved);
    } catch (err) {
      seen.push((err as Error).message);
    }
  }
  throw new Error(
    `Cannot locate ${specifier} in the npm cache (got ${seen.join("; ")}); ` +
      "run `deno install` in the webgan folder",
  );
}
