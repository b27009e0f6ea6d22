import assert from "node:assert";
import { UserError } from "../src/cli/errors.ts";
import { decodeNpy, encodeNpy, readNpy, writeNpy } from "../src/io/npy.ts";

const hasNumpy = await new Deno.Command("python3", {
  args: ["-c", "import numpy"],
  stdout: "null",
  stderr: "null",
}).output().then((r) => r.success, () => false);

/** The header text between the length field and the data. */
function headerOf(bytes: Uint8Array): string {
  const len = bytes[8] | (bytes[9] << 8);
  return new TextDecoder().decode(bytes.subarray(10, 10 + len));
}

/** Largest |a − b|, counting equal infinities as 0 and a NaN as Infinity. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i] === b[i] ? 0 : Math.abs(a[i] - b[i]);
    m = Math.max(m, Number.isNaN(d) ? Infinity : d);
  }
  return m;
}

Deno.test("encodeNpy() writes the header dict NumPy writes", () => {
  const cases: [number[], string][] = [
    [[2, 3], "(2, 3)"],
    [[5], "(5,)"],
    [[], "()"],
    [[256, 28, 28, 1], "(256, 28, 28, 1)"],
  ];
  for (const [shape, tuple] of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const bytes = encodeNpy(new Float32Array(size), shape);
    assert.deepStrictEqual(
      Array.from(bytes.subarray(0, 8)),
      [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0],
    );
    const header = headerOf(bytes);
    const dict =
      `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
    assert.ok(header.startsWith(dict), `header ${JSON.stringify(header)}`);
    assert.match(header.slice(dict.length), /^ *\n$/);
    assert.strictEqual((10 + header.length) % 64, 0, `header ${header.length}`);
    assert.ok(header.length >= dict.length + 20, "no room to grow axis 0");
    assert.strictEqual(bytes.length, 10 + header.length + 4 * size);
  }
});

Deno.test("decodeNpy() inverts encodeNpy()", () => {
  const data = new Float32Array([1.5, -2, 3.25e-7, 0, Infinity, 1e30]);
  for (const shape of [[2, 3], [6], [1, 2, 3, 1]]) {
    const back = decodeNpy(encodeNpy(data, shape));
    assert.deepStrictEqual(back.shape, shape);
    const diff = maxAbsDiff(back.data, data);
    assert.strictEqual(diff, 0, `max difference ${diff}`);
  }
  const scalar = decodeNpy(encodeNpy(new Float32Array([42]), []));
  assert.deepStrictEqual(scalar.shape, []);
  assert.strictEqual(scalar.data[0], 42);
});

Deno.test("encodeNpy() refuses a shape that does not fit the data", () => {
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), RangeError);
});

Deno.test("decodeNpy() reads big-endian float64 data", () => {
  // Hand-built version 1.0 file: '>f8', shape (2,).
  const dict = "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }";
  const header = dict + " ".repeat(128 - 10 - dict.length - 1) + "\n";
  const bytes = new Uint8Array(128 + 16);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
  bytes.set(new TextEncoder().encode(header), 10);
  const view = new DataView(bytes.buffer);
  view.setFloat64(128, 0.1, false);
  view.setFloat64(136, -3, false);
  const { data, shape } = decodeNpy(bytes);
  assert.deepStrictEqual(shape, [2]);
  assert.deepStrictEqual(Array.from(data), [Math.fround(0.1), -3]);
});

Deno.test("decodeNpy() throws UserError on malformed files", () => {
  const good = encodeNpy(new Float32Array(6), [2, 3]);
  const patch = (from: string, to: string): Uint8Array => {
    const text = headerOf(good).replace(from, to);
    const out = good.slice();
    out.set(new TextEncoder().encode(text), 10);
    return out;
  };
  const bad: [string, Uint8Array][] = [
    ["no magic", new TextEncoder().encode("hello world, not numpy")],
    ["truncated data", good.subarray(0, good.length - 1)],
    ["truncated header", good.subarray(0, 30)],
    ["int dtype", patch("'<f4'", "'<i4'")],
    ["fortran order", patch("False", "True ")],
    ["no shape", patch("'shape'", "'shapf'")],
  ];
  for (const [what, bytes] of bad) {
    assert.throws(() => decodeNpy(bytes, "bad.npy"), (err: unknown) => {
      assert.ok(err instanceof UserError, `${what}: ${err}`);
      assert.match(err.message, /^bad\.npy /, what);
      return true;
    }, what);
  }
});

Deno.test("writeNpy() and readNpy() round-trip through a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const array = { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] };
    await writeNpy(`${dir}/a.npy`, array);
    assert.deepStrictEqual(await readNpy(`${dir}/a.npy`), array);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "encodeNpy() output loads in numpy (needs python3 with numpy)",
  ignore: !hasNumpy,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const data = new Float32Array(24).map((_, i) => i * 0.5 - 3);
      await Deno.writeFile(`${dir}/a.npy`, encodeNpy(data, [2, 3, 4]));
      // numpy writes its own arrays back for decodeNpy to read.
      const script = [
        "import sys, json, numpy as np",
        "a = np.load(sys.argv[1] + '/a.npy')",
        "np.save(sys.argv[1] + '/b.npy', (a * 2).astype(np.float32))",
        "np.save(sys.argv[1] + '/c.npy', np.arange(6.0).reshape(3, 2))",
        "np.save(sys.argv[1] + '/d.npy', a)",
        "print(json.dumps([a.shape, str(a.dtype), float(a[1, 2, 3]),",
        "                  bool(a.flags['C_CONTIGUOUS'])]))",
      ].join("\n");
      const out = await new Deno.Command("python3", {
        args: ["-c", script, dir],
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, `python3 failed: ${stderr}`);
      const [shape, dtype, value, cOrder] = JSON.parse(
        new TextDecoder().decode(out.stdout),
      );
      assert.deepStrictEqual(shape, [2, 3, 4]);
      assert.strictEqual(dtype, "float32");
      assert.strictEqual(value, data[1 * 12 + 2 * 4 + 3]);
      assert.strictEqual(cOrder, true);

      const b = decodeNpy(await Deno.readFile(`${dir}/b.npy`));
      assert.deepStrictEqual(b.shape, [2, 3, 4]);
      const diff = maxAbsDiff(b.data, data.map((v) => 2 * v));
      assert.strictEqual(diff, 0, `max difference ${diff}`);
      const ours = await Deno.readFile(`${dir}/a.npy`);
      const theirs = await Deno.readFile(`${dir}/d.npy`);
      assert.deepStrictEqual(ours, theirs, "np.save writes other bytes");
      const c = decodeNpy(await Deno.readFile(`${dir}/c.npy`));
      assert.deepStrictEqual(c.shape, [3, 2]);
      assert.deepStrictEqual(Array.from(c.data), [0, 1, 2, 3, 4, 5]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
