/** The IDX and CIFAR-10 parsers accept the real layouts and reject the rest. */
import assert from "node:assert";
import { UserError } from "../src/cli/errors.ts";
import { parseCifarBatch, parseIdx } from "../src/data/dataset.ts";
import { cifarRecords, idxBytes } from "../fixtures/data/fixtures.ts";

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("parseIdx() reads dims and data of an IDX file", () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const { dims, data: out } = parseIdx(idxBytes([2, 3, 4], data), "x");
  assert.deepStrictEqual(dims, [2, 3, 4]);
  assert.deepStrictEqual(out, data);
  const labels = parseIdx(idxBytes([3], Uint8Array.of(7, 8, 9)), "y");
  assert.deepStrictEqual(labels.dims, [3]);
  assert.deepStrictEqual([...labels.data], [7, 8, 9]);
});

Deno.test("parseIdx() rejects wrong magic, truncation and extra bytes", () => {
  const good = idxBytes([2, 2, 2], new Uint8Array(8));
  throwsUser(
    () =>
      parseIdx(
        idxBytes([2, 2, 2], new Uint8Array(8), { magic: 0x00000d03 }),
        "f.idx",
      ),
    /^f\.idx has magic number 0x00000d03, expected an IDX file/,
  );
  throwsUser(
    () => parseIdx(new TextEncoder().encode("<html></html>"), "page"),
    /^page has magic number 0x3c68746d/,
  );
  throwsUser(
    () => parseIdx(good.subarray(0, 20), "short"),
    /^short is truncated: 20 bytes, expected 24 for dimensions 2×2×2$/,
  );
  throwsUser(
    () => parseIdx(good.subarray(0, 10), "head"),
    /^head is truncated: 10 bytes, expected a 16-byte IDX header$/,
  );
  throwsUser(
    () => parseIdx(new Uint8Array(2), "tiny"),
    /^tiny is truncated: 2 bytes/,
  );
  const long = new Uint8Array(good.length + 3);
  long.set(good);
  throwsUser(() => parseIdx(long, "long"), /^long is too long: 27 bytes/);
});

Deno.test("parseCifarBatch() reorders planar records to NHWC", () => {
  const bytes = cifarRecords(3, 0);
  const { images, labels, count } = parseCifarBatch(bytes, "b");
  assert.strictEqual(count, 3);
  assert.strictEqual(images.length, 3 * 3072);
  let mismatches = 0;
  for (let n = 0; n < 3; n++) {
    assert.strictEqual(labels[n], bytes[n * 3073]);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) {
          const planar = bytes[n * 3073 + 1 + c * 1024 + y * 32 + x];
          const nhwc = images[n * 3072 + (y * 32 + x) * 3 + c];
          if (planar !== nhwc) mismatches++;
        }
      }
    }
  }
  assert.strictEqual(mismatches, 0, `${mismatches} pixels misplaced`);
});

Deno.test("parseCifarBatch() rejects partial records and bad labels", () => {
  throwsUser(
    () => parseCifarBatch(cifarRecords(2, 0).subarray(0, 4000), "b.bin"),
    /^b\.bin is 4000 bytes, expected a whole number of 3073-byte/,
  );
  throwsUser(() => parseCifarBatch(new Uint8Array(0), "empty"), /0 bytes/);
  const bad = cifarRecords(2, 0);
  bad[3073] = 12;
  throwsUser(
    () => parseCifarBatch(bad, "b.bin"),
    /^b\.bin record 1 has label 12, expected 0–9$/,
  );
});
