import assert from "node:assert";
import { imageGrid } from "../src/io/grid.ts";

/** Value of image i at (row r, col c, channel k) in the test batches. */
function value(i: number, r: number, c: number, k: number): number {
  return ((i * 7 + r * 3 + c * 5 + k * 11) % 17) / 16;
}

function batch(count: number, h: number, w: number, ch: number): Float32Array {
  const out = new Float32Array(count * h * w * ch);
  let n = 0;
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        for (let k = 0; k < ch; k++) out[n++] = value(i, r, c, k);
      }
    }
  }
  return out;
}

Deno.test("imageGrid() places every scaled pixel and the padding", () => {
  const [count, h, w, cols, pad, scale] = [5, 2, 3, 3, 1, 2];
  const grid = imageGrid(batch(count, h, w, 1), {
    count,
    height: h,
    width: w,
    channels: 1,
    cols,
    padding: pad,
    scale,
    padValue: 77,
  });
  // 3 columns of 6 px + 2 gaps; 2 rows of 4 px + 1 gap.
  assert.strictEqual(grid.width, 20);
  assert.strictEqual(grid.height, 9);
  assert.strictEqual(grid.channels, 1);

  // Expected image built independently, pixel by pixel.
  let bad = 0;
  let firstBad = "";
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      const inGapX = x % (w * scale + pad) >= w * scale;
      const inGapY = y % (h * scale + pad) >= h * scale;
      const i = Math.floor(y / (h * scale + pad)) * cols +
        Math.floor(x / (w * scale + pad));
      let want = 77;
      if (!inGapX && !inGapY && i < count) {
        const r = Math.floor((y % (h * scale + pad)) / scale);
        const c = Math.floor((x % (w * scale + pad)) / scale);
        want = Math.round(value(i, r, c, 0) * 255);
      }
      const got = grid.data[y * grid.width + x];
      if (got !== want) {
        bad++;
        firstBad ||= `(${x},${y}) got ${got} want ${want}`;
      }
    }
  }
  assert.strictEqual(bad, 0, `${bad} wrong pixels, first ${firstBad}`);
});

Deno.test("imageGrid() keeps RGB channels interleaved", () => {
  const grid = imageGrid(batch(4, 3, 3, 3), {
    count: 4,
    height: 3,
    width: 3,
    channels: 3,
  });
  // Default 2 columns, 1 px padding: image 3 starts at (4, 4).
  assert.strictEqual(grid.width, 7);
  const at = ((4 + 2) * grid.width + (4 + 1)) * 3; // image 3, row 2, col 1
  const got = Array.from(grid.data.subarray(at, at + 3));
  const want = [0, 1, 2].map((k) => Math.round(value(3, 2, 1, k) * 255));
  assert.deepStrictEqual(got, want);
});

Deno.test("imageGrid() maps range to 0..255 and clips outside it", () => {
  const images = new Float32Array([-3, -1, 0, 0.5, 1, 7, NaN, -0.5]);
  const grid = imageGrid(images, {
    count: 1,
    height: 2,
    width: 4,
    channels: 1,
    range: [-1, 1],
  });
  assert.deepStrictEqual(
    Array.from(grid.data),
    [0, 0, 128, 191, 255, 255, 0, 64],
  );
});

Deno.test("imageGrid() sizes a 16x16 grid of 256 MNIST digits", () => {
  const grid = imageGrid(new Float32Array(256 * 28 * 28), {
    count: 256,
    height: 28,
    width: 28,
    channels: 1,
  });
  assert.strictEqual(grid.width, 16 * 28 + 15);
  assert.strictEqual(grid.height, 16 * 28 + 15);
  assert.strictEqual(grid.data.length, grid.width * grid.height);
});

Deno.test("imageGrid() lays out walks as rows when cols is the frame count", () => {
  const grid = imageGrid(new Float32Array(3 * 8 * 4 * 4), {
    count: 3 * 8,
    height: 4,
    width: 4,
    channels: 1,
    cols: 8,
    padding: 0,
  });
  assert.strictEqual(grid.width, 32);
  assert.strictEqual(grid.height, 12);
});

Deno.test("imageGrid() refuses a batch of the wrong length", () => {
  const options = { count: 2, height: 2, width: 2, channels: 1 as const };
  assert.throws(() => imageGrid(new Float32Array(7), options), RangeError);
  assert.throws(
    () => imageGrid(new Float32Array(8), { ...options, scale: 0 }),
    RangeError,
  );
  assert.throws(
    () => imageGrid(new Float32Array(8), { ...options, range: [1, 1] }),
    RangeError,
  );
});
