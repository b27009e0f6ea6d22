import assert from "node:assert";
import { encode } from "fast-png";
import { UserError } from "../src/cli/errors.ts";
import {
  decodePng,
  encodePng,
  type RasterImage,
  readPng,
  writePng,
} from "../src/io/png.ts";

function randomImage(
  width: number,
  height: number,
  channels: 1 | 3 | 4,
): RasterImage {
  const data = new Uint8Array(width * height * channels);
  // A fixed LCG keeps the test deterministic.
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width, height, channels };
}

function countDiffs(a: Uint8Array, b: Uint8Array): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) n += +(a[i] !== b[i]);
  return n;
}

for (const channels of [1, 3, 4] as const) {
  Deno.test(`decodePng() inverts encodePng() with ${channels} channels`, () => {
    const image = randomImage(7, 5, channels);
    const back = decodePng(encodePng(image));
    assert.strictEqual(back.width, 7);
    assert.strictEqual(back.height, 5);
    assert.strictEqual(back.channels, channels);
    const diffs = countDiffs(back.data, image.data);
    assert.strictEqual(diffs, 0, `${diffs} bytes differ after round trip`);
  });
}

Deno.test("encodePng() refuses data of the wrong length", () => {
  const image: RasterImage = {
    data: new Uint8Array(10),
    width: 2,
    height: 2,
    channels: 3,
  };
  assert.throws(() => encodePng(image), RangeError);
});

Deno.test("decodePng() turns grey+alpha into RGBA", () => {
  const data = new Uint8Array([10, 200, 250, 0]); // two pixels: (grey, alpha)
  const png = encode({ data, width: 2, height: 1, channels: 2, depth: 8 });
  const image = decodePng(png);
  assert.strictEqual(image.channels, 4);
  assert.deepStrictEqual(
    Array.from(image.data),
    [10, 10, 10, 200, 250, 250, 250, 0],
  );
});

Deno.test("decodePng() rescales 16-bit samples to 8 bits", () => {
  const data = new Uint16Array([0, 0x8000, 0xffff]);
  const png = encode({ data, width: 3, height: 1, channels: 1, depth: 16 });
  assert.deepStrictEqual(Array.from(decodePng(png).data), [0, 128, 255]);
});

Deno.test("decodePng() unpacks 1-bit grey rows", () => {
  // Width 10: each row takes 2 bytes, the last 6 bits are padding.
  const data = new Uint8Array([0b10110000, 0b01000000, 0xff, 0xc0]);
  const png = encode({ data, width: 10, height: 2, channels: 1, depth: 1 });
  const expected = [
    [1, 0, 1, 1, 0, 0, 0, 0, 0, 1],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  ].flat().map((b) => b * 255);
  assert.deepStrictEqual(Array.from(decodePng(png).data), expected);
});

Deno.test("decodePng() expands palette images to RGB", () => {
  const palette = [[255, 0, 0], [0, 0, 255]];
  const png = encode({
    data: new Uint8Array([0, 1]),
    width: 2,
    height: 1,
    channels: 1,
    depth: 8,
    palette,
  });
  const image = decodePng(png);
  assert.strictEqual(image.channels, 3);
  assert.deepStrictEqual(Array.from(image.data), [255, 0, 0, 0, 0, 255]);
});

Deno.test("decodePng() throws UserError on bytes that are not PNG", () => {
  const bytes = new TextEncoder().encode("GIF89a not a png at all");
  assert.throws(() => decodePng(bytes, "x.gif"), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /x\.gif/);
    return true;
  });
  const truncated = encodePng(randomImage(8, 8, 3)).subarray(0, 40);
  assert.throws(() => decodePng(truncated), UserError);
});

Deno.test("writePng() and readPng() round-trip through a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const image = randomImage(4, 3, 3);
    const path = `${dir}/sub/img.png`;
    await writePng(path, image);
    const back = await readPng(path);
    assert.strictEqual(countDiffs(back.data, image.data), 0);
    const left = [...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name);
    assert.deepStrictEqual(left, ["img.png"], `stray files: ${left}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
