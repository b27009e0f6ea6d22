/**
 * webgan's own wasm kernels, without tfjs: the LEB128 encoders and module
 * writer of `src/kernels/wasm_writer.ts`, and `KernelEngine`'s products,
 * transposes, innermost maxima and column sums against float64 loops, and
 * its momentum step against a float32 loop bit for bit, on plain and
 * shared memories, with sentinel guards around every output.
 */
import assert from "node:assert/strict";
import { buildModule, Code, sleb, uleb } from "../src/kernels/wasm_writer.ts";
import { kernelModuleBytes } from "../src/kernels/module.ts";
import { KernelEngine, type Matrix } from "../src/kernels/engine.ts";
import { chunkWidth } from "../src/kernels/chunks.ts";
import { Rng } from "../src/util/rng.ts";

/** Pages of every test memory: 4 MiB. */
const PAGES = 64;

/** Float offsets of the A, B and C regions in a test memory. */
const A_AT = 0;
const B_AT = 1 << 17;
const C_AT = 1 << 18;

/** Floats checked on either side of an output. */
const GUARD = 64;

/** What an output region holds before a kernel runs. */
const SENTINEL = -12345.5;

/** `C = A·B` for m × k A and k × n B, as the engine's `multiply` takes it. */
type Multiply = (
  a: Matrix,
  b: Matrix,
  c: Matrix,
  m: number,
  k: number,
  n: number,
) => void;

/** How one product's operands and result lie in memory. */
interface Layout {
  m: number;
  k: number;
  n: number;
  /** A stored k × m, read through strides (rowStride 1, colStride m). */
  aT?: boolean;
  /**
   * A neither row- nor column-contiguous: element (i, p) at
   * i·(2k + 3) + 2p, the kernel's general strided path.
   */
  aStrided?: boolean;
  /** C stored n × m, written through strides (rowStride 1, colStride m). */
  cT?: boolean;
  /** Extra elements between C's rows when C is not transposed. */
  cPad?: number;
}

const pool = new Rng(7).uniform(1 << 17, -1, 1);

/** The C matrix of `layout` and the floats it spans from `C_AT`. */
function cMatrix(layout: Layout): { c: Matrix; extent: number } {
  const { m, n, cT, cPad = 0 } = layout;
  const c = cT
    ? { address: 4 * C_AT, rowStride: 1, colStride: m }
    : { address: 4 * C_AT, rowStride: n + cPad, colStride: 1 };
  const extent = m === 0 || n === 0
    ? 0
    : (m - 1) * c.rowStride + (n - 1) * c.colStride + 1;
  return { c, extent };
}

/** Max |got − want| over C, and whether anything outside C changed. */
interface Outcome {
  maxDiff: number;
  strayWrites: number;
}

/**
 * Lay out A (m × k) and B (k × n) from the random pool, fill C's region
 * and its guards with {@linkcode SENTINEL}, run `multiply` and compare with
 * a float64 product.
 */
function runProduct(
  f: Float32Array,
  multiply: Multiply,
  layout: Layout,
): Outcome {
  const { m, k, n, aT, aStrided } = layout;
  const a = pool.subarray(0, m * k);
  const aMatrix: Matrix = aT
    ? { address: 4 * A_AT, rowStride: 1, colStride: m }
    : aStrided
    ? { address: 4 * A_AT, rowStride: 2 * k + 3, colStride: 2 }
    : { address: 4 * A_AT, rowStride: k, colStride: 1 };
  const b = pool.subarray(m * k, m * k + k * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      f[A_AT + i * aMatrix.rowStride + p * aMatrix.colStride] = a[i * k + p];
    }
  }
  f.set(b, B_AT);
  const { c, extent } = cMatrix(layout);
  f.fill(SENTINEL, C_AT - GUARD, C_AT + extent + GUARD);

  multiply(
    aMatrix,
    { address: 4 * B_AT, rowStride: n, colStride: 1 },
    c,
    m,
    k,
    n,
  );

  const want = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      for (let j = 0; j < n; j++) want[i * n + j] += aip * b[p * n + j];
    }
  }
  const inC = new Uint8Array(extent);
  let maxDiff = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const at = i * c.rowStride + j * c.colStride;
      inC[at] = 1;
      const diff = Math.abs(f[C_AT + at] - want[i * n + j]);
      maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
    }
  }
  let strayWrites = 0;
  for (let at = -GUARD; at < extent + GUARD; at++) {
    const outside = at < 0 || at >= extent || inC[at] === 0;
    if (outside && f[C_AT + at] !== SENTINEL) strayWrites++;
  }
  return { maxDiff, strayWrites };
}

/** Run every (m, k, n) of the grids under `variant`, checking each. */
function checkGrid(
  f: Float32Array,
  multiply: Multiply,
  variant: Omit<Layout, "m" | "k" | "n">,
  grid: { ms: number[]; ks: number[]; ns: number[] },
): void {
  for (const m of grid.ms) {
    for (const k of grid.ks) {
      for (const n of grid.ns) {
        const layout = { m, k, n, ...variant };
        const { maxDiff, strayWrites } = runProduct(f, multiply, layout);
        const tol = 1e-5 * Math.sqrt(Math.max(k, 1));
        const label = JSON.stringify(layout);
        assert.ok(maxDiff <= tol, `${label}: max |diff| ${maxDiff} > ${tol}`);
        assert.equal(strayWrites, 0, `${label}: wrote outside C`);
      }
    }
  }
}

const FULL_GRID = {
  ms: [1, 3, 4, 5, 13, 100],
  ks: [1, 2, 255, 256, 257, 600],
  ns: [1, 3, 4, 7, 8, 9, 17, 100],
};

const VARIANTS: Omit<Layout, "m" | "k" | "n">[] = [
  {},
  { aT: true },
  { cT: true },
  { aT: true, cT: true },
  { aStrided: true },
  { aStrided: true, cT: true },
];

/** A fresh plain memory, its float view and a one-thread engine. */
async function plainEngine(): Promise<{
  engine: KernelEngine;
  memory: WebAssembly.Memory;
  f: Float32Array;
}> {
  const memory = new WebAssembly.Memory({ initial: PAGES });
  const engine = await KernelEngine.create(memory, { threads: 1 });
  return { engine, memory, f: new Float32Array(memory.buffer) };
}

/** The module's `gemm`, instantiated directly in `mode`, as a Multiply. */
async function rawGemm(
  memory: WebAssembly.Memory,
  mode: "fused" | "separate",
  columns?: (n: number) => [number, number],
): Promise<Multiply> {
  const { instance } = await WebAssembly.instantiate(
    kernelModuleBytes(false, mode),
    { env: { memory } },
  );
  const gemm = instance.exports.gemm as (...args: number[]) => void;
  return (a, b, c, m, k, n) => {
    const [j0, j1] = columns ? columns(n) : [0, n];
    gemm(
      ...[a.address, 4 * a.rowStride, 4 * a.colStride],
      ...[b.address, 4 * b.rowStride],
      ...[c.address, 4 * c.rowStride, 4 * c.colStride],
      ...[m, k, j0, j1],
    );
  };
}

Deno.test("uleb() encodes unsigned LEB128", () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [255, [0xff, 0x01]],
    [16384, [0x80, 0x80, 0x01]],
    [624485, [0xe5, 0x8e, 0x26]],
    [65536, [0x80, 0x80, 0x04]],
    [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  for (const [value, bytes] of cases) {
    assert.deepEqual(uleb(value), bytes, `uleb(${value})`);
  }
});

Deno.test("sleb() encodes signed LEB128", () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [63, [0x3f]],
    [64, [0xc0, 0x00]],
    [127, [0xff, 0x00]],
    [128, [0x80, 0x01]],
    [-1, [0x7f]],
    [-64, [0x40]],
    [-65, [0xbf, 0x7f]],
    [-123456, [0xc0, 0xbb, 0x78]],
    [624485, [0xe5, 0x8e, 0x26]],
    [2 ** 31 - 1, [0xff, 0xff, 0xff, 0xff, 0x07]],
    [-(2 ** 31), [0x80, 0x80, 0x80, 0x80, 0x78]],
  ];
  for (const [value, bytes] of cases) {
    assert.deepEqual(sleb(value), bytes, `sleb(${value})`);
  }
});

Deno.test("buildModule() output validates for shared and plain memories", async () => {
  // store(address, value): an i32 constant, sleb-encoded, is added first.
  const code = new Code(2);
  code.get(0).get(1).i32(-123456).add().i32Store();
  for (const shared of [false, true]) {
    const bytes = buildModule({ shared }, [
      { name: "store", params: ["i32", "i32"], code },
    ]);
    assert.ok(WebAssembly.validate(bytes), `shared ${shared}: invalid`);
    const memory = new WebAssembly.Memory(
      shared ? { initial: 1, maximum: 1, shared: true } : { initial: 1 },
    );
    const { instance } = await WebAssembly.instantiate(bytes, {
      env: { memory },
    });
    (instance.exports.store as (a: number, v: number) => void)(8, 123460);
    assert.equal(new Int32Array(memory.buffer)[2], 4, `shared ${shared}`);
  }
});

Deno.test("kernelModuleBytes() validates in both modes, shared or not", () => {
  for (const shared of [false, true]) {
    for (const mode of ["fused", "separate"] as const) {
      const bytes = kernelModuleBytes(shared, mode);
      assert.ok(WebAssembly.validate(bytes), `shared ${shared}, ${mode}`);
    }
  }
});

Deno.test("KernelEngine.multiply() matches float64 for every tile path", async () => {
  const { engine, f } = await plainEngine();
  for (const variant of VARIANTS) {
    checkGrid(f, engine.multiply.bind(engine), variant, FULL_GRID);
  }
  engine.dispose();
});

Deno.test("KernelEngine.multiply() leaves padding between C's rows alone", async () => {
  const { engine, f } = await plainEngine();
  const grid = { ms: [1, 5, 13], ks: [3, 257], ns: [1, 7, 9, 17] };
  for (const aT of [false, true]) {
    checkGrid(f, engine.multiply.bind(engine), { aT, cPad: 5 }, grid);
  }
  engine.dispose();
});

Deno.test("kernelModuleBytes() gemm matches float64 in both modes", async () => {
  const memory = new WebAssembly.Memory({ initial: PAGES });
  const f = new Float32Array(memory.buffer);
  const grid = { ms: [1, 5, 13], ks: [1, 257], ns: [1, 4, 9, 17] };
  for (const mode of ["fused", "separate"] as const) {
    // An engine without relaxed SIMD cannot compile the fused module.
    if (!WebAssembly.validate(kernelModuleBytes(false, mode))) continue;
    const multiply = await rawGemm(memory, mode);
    for (const variant of VARIANTS) checkGrid(f, multiply, variant, grid);
  }
});

Deno.test("kernelModuleBytes() gemm writes only columns j0 to j1", async () => {
  const memory = new WebAssembly.Memory({ initial: PAGES });
  const f = new Float32Array(memory.buffer);
  const [m, k, n] = [13, 300, 41];
  for (const [j0, j1] of [[0, 8], [8, 16], [16, 41], [40, 41], [24, 24]]) {
    for (const cT of [false, true]) {
      const multiply = await rawGemm(memory, "separate", () => [j0, j1]);
      const { c } = cMatrix({ m, k, n, cT });
      runProduct(f, multiply, { m, k, n, cT });
      const full = new Float32Array(m * n);
      const whole = await rawGemm(memory, "separate");
      whole(
        { address: 4 * A_AT, rowStride: k, colStride: 1 },
        { address: 4 * B_AT, rowStride: n, colStride: 1 },
        { address: 4 * (C_AT + 2 * m * n), rowStride: n, colStride: 1 },
        m,
        k,
        n,
      );
      full.set(f.subarray(C_AT + 2 * m * n, C_AT + 3 * m * n));
      let wrong = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const got = f[C_AT + i * c.rowStride + j * c.colStride];
          const want = j >= j0 && j < j1 ? full[i * n + j] : SENTINEL;
          if (got !== want) wrong++;
        }
      }
      assert.equal(wrong, 0, `columns [${j0}, ${j1}), cT ${cT}`);
    }
  }
});

Deno.test("KernelEngine.multiply() writes zeros for k = 0 and nothing for m or n = 0", async () => {
  const { engine, f } = await plainEngine();
  const multiply = engine.multiply.bind(engine);
  for (const cT of [false, true]) {
    for (const [m, n] of [[3, 5], [1, 1], [4, 8]]) {
      const { maxDiff, strayWrites } = runProduct(f, multiply, {
        m,
        k: 0,
        n,
        cT,
      });
      assert.equal(maxDiff, 0, `k 0, ${m} × ${n}: C is not all zeros`);
      assert.equal(strayWrites, 0, `k 0, ${m} × ${n}: wrote outside C`);
    }
  }
  for (const [m, k, n] of [[0, 5, 3], [3, 5, 0], [0, 0, 0]]) {
    f.fill(SENTINEL, C_AT - GUARD, C_AT + 1000);
    const c = { address: 4 * C_AT, rowStride: Math.max(n, 1), colStride: 1 };
    const a = { address: 4 * A_AT, rowStride: k, colStride: 1 };
    const b = { address: 4 * B_AT, rowStride: n, colStride: 1 };
    engine.multiply(a, b, c, m, k, n);
    const touched = f.subarray(C_AT - GUARD, C_AT + 1000)
      .filter((v) => v !== SENTINEL).length;
    assert.equal(touched, 0, `${m} × ${k} × ${n}: wrote ${touched} floats`);
  }
  engine.dispose();
});

Deno.test("KernelEngine.multiply() refuses a B whose columns are strided", async () => {
  const { engine } = await plainEngine();
  const a = { address: 0, rowStride: 2, colStride: 1 };
  const b = { address: 64, rowStride: 1, colStride: 2 };
  const c = { address: 128, rowStride: 2, colStride: 1 };
  assert.throws(() => engine.multiply(a, b, c, 2, 2, 2), RangeError);
  engine.dispose();
});

Deno.test({
  name: "KernelEngine.multiply() on 2 threads equals 1 thread bit for bit",
  async fn() {
    const memory = new WebAssembly.Memory({
      initial: PAGES,
      maximum: PAGES,
      shared: true,
    });
    const f = new Float32Array(memory.buffer);
    const one = await KernelEngine.create(memory, { threads: 1 });
    const two = await KernelEngine.create(memory, { threads: 2 });
    assert.equal(two.threads, 2);
    try {
      for (
        const layout of [
          { m: 100, k: 300, n: 200 },
          { m: 100, k: 300, n: 203, aT: true, cT: true },
          { m: 64, k: 257, n: 9 },
        ]
      ) {
        const { extent } = cMatrix(layout);
        const single = runProduct(f, one.multiply.bind(one), layout);
        const expected = f.slice(C_AT - GUARD, C_AT + extent + GUARD);
        const split = runProduct(f, two.multiply.bind(two), layout);
        const got = f.subarray(C_AT - GUARD, C_AT + extent + GUARD);
        const label = JSON.stringify(layout);
        const tol = 1e-5 * Math.sqrt(layout.k);
        assert.ok(single.maxDiff <= tol, `${label}: ${single.maxDiff}`);
        assert.equal(split.strayWrites, 0, `${label}: wrote outside C`);
        let differing = 0;
        for (let i = 0; i < got.length; i++) {
          if (!Object.is(got[i], expected[i])) differing++;
        }
        assert.equal(differing, 0, `${label}: ${differing} floats differ`);
      }
    } finally {
      one.dispose();
      two.dispose();
    }
  },
});

Deno.test("KernelEngine.create() refuses bad thread counts", async () => {
  const plain = new WebAssembly.Memory({ initial: 1 });
  await assert.rejects(
    () => KernelEngine.create(plain, { threads: 2 }),
    RangeError,
  );
  await assert.rejects(
    () => KernelEngine.create(plain, { threads: 0 }),
    RangeError,
  );
  await assert.rejects(
    () => KernelEngine.create(plain, { threads: 1.5 }),
    RangeError,
  );
});

Deno.test("chunkWidth() gives multiples of 8 that cover n in few chunks", () => {
  for (const n of [1, 7, 8, 9, 17, 100, 200, 203, 1000, 1200, 100_000]) {
    for (const threads of [1, 2, 3, 4, 7, 8]) {
      const width = chunkWidth(n, threads);
      const label = `chunkWidth(${n}, ${threads}) = ${width}`;
      assert.ok(width >= 8 && width % 8 === 0, label);
      const chunks = Math.ceil(n / width);
      // At most 8 chunks a thread, and no fewer than the 8-column tiles
      // allow.
      assert.ok(chunks <= 8 * threads, `${label}: ${chunks} chunks`);
      assert.ok(
        chunks >= Math.min(Math.ceil(n / 8), 4 * threads),
        `${label}: only ${chunks} chunks`,
      );
    }
  }
});

Deno.test("KernelEngine.transpose() matches a direct loop", async () => {
  const { engine, f } = await plainEngine();
  for (
    const [rows, cols] of [[1, 1], [3, 17], [16, 16], [37, 53], [100, 1200]]
  ) {
    const src = pool.subarray(0, rows * cols);
    f.set(src, A_AT);
    f.fill(SENTINEL, C_AT - GUARD, C_AT + rows * cols + GUARD);
    engine.transpose(4 * A_AT, 4 * C_AT, rows, cols);
    let wrong = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        if (f[C_AT + j * rows + i] !== src[i * cols + j]) wrong++;
      }
    }
    const guards = [
      ...f.subarray(C_AT - GUARD, C_AT),
      ...f.subarray(C_AT + rows * cols, C_AT + rows * cols + GUARD),
    ];
    const label = `${rows} × ${cols}`;
    assert.equal(wrong, 0, `${label}: ${wrong} elements wrong`);
    assert.ok(guards.every((v) => v === SENTINEL), `${label}: stray writes`);
  }
  engine.dispose();
});

/** `max` as tf.max computes it: the first largest piece; NaN wins. */
function maxRef(x: ArrayLike<number>, rows: number, pieces: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = x[r * pieces];
    for (let p = 1; p < pieces; p++) {
      const v = x[r * pieces + p];
      if (v > best || Number.isNaN(v)) best = v;
    }
    y.push(best);
  }
  return y;
}

/** Rows of pieces that exercise ties, NaN, signs and signed zeros. */
const MAX_ROWS: { pieces: number; rows: number[][] }[] = [
  {
    pieces: 5,
    rows: [
      [0.5, -1, 2, 2, 1.5],
      [-3, -2, -7, -2, -9],
      [1, NaN, 4, 2, 3],
      [NaN, 1, 2, 3, 4],
      [1, 2, 3, 4, NaN],
      [-0, 0, -0, -1, -2],
      [0, -0, -5, -0, -1],
      [7, 7, 7, 7, 7],
      [-Infinity, -1e30, -Infinity, -1e30, -5e29],
      [Infinity, 1, Infinity, 2, 3],
    ],
  },
  { pieces: 1, rows: [[3], [-0], [NaN], [-2], [0]] },
  { pieces: 2, rows: [[1, 1], [-1, 0], [NaN, NaN], [0, -0]] },
];

Deno.test("KernelEngine.maxInnermost() matches tf.max's rule", async () => {
  const { engine, f } = await plainEngine();
  for (const { pieces, rows } of MAX_ROWS) {
    const x = rows.flat();
    f.set(x, A_AT);
    f.fill(SENTINEL, C_AT - GUARD, C_AT + rows.length + GUARD);
    engine.maxInnermost(4 * A_AT, 4 * C_AT, rows.length, pieces);
    const want = maxRef(new Float32Array(x), rows.length, pieces);
    want.forEach((w, r) => {
      const got = f[C_AT + r];
      assert.ok(Object.is(got, w), `row [${rows[r]}]: max ${got}, want ${w}`);
    });
    assert.equal(f[C_AT - 1], SENTINEL, `pieces ${pieces}: wrote before y`);
    assert.equal(f[C_AT + rows.length], SENTINEL, `pieces ${pieces}: after y`);
  }
  engine.dispose();
});

Deno.test("KernelEngine.maxInnermostGrad() gives dy to every tied maximum", async () => {
  const { engine, f } = await plainEngine();
  for (const { pieces, rows } of MAX_ROWS) {
    const x = new Float32Array(rows.flat());
    const y = maxRef(x, rows.length, pieces);
    const dy = rows.map((_, r) => (r % 3 === 2 ? -(r + 0.25) : r + 0.5));
    const size = x.length;
    f.set(x, A_AT);
    f.set(y, B_AT);
    f.set(dy, B_AT + 1024);
    f.fill(SENTINEL, C_AT - GUARD, C_AT + size + GUARD);
    engine.maxInnermostGrad(
      4 * A_AT,
      4 * B_AT,
      4 * (B_AT + 1024),
      4 * C_AT,
      rows.length,
      pieces,
    );
    for (let r = 0; r < rows.length; r++) {
      for (let p = 0; p < pieces; p++) {
        const want = x[r * pieces + p] === y[r] ? dy[r] : 0;
        const got = f[C_AT + r * pieces + p];
        assert.ok(
          Object.is(got, want),
          `row [${rows[r]}], piece ${p}: dx ${got}, want ${want}`,
        );
      }
    }
    assert.equal(f[C_AT - 1], SENTINEL, `pieces ${pieces}: wrote before dx`);
    assert.equal(f[C_AT + size], SENTINEL, `pieces ${pieces}: after dx`);
  }
  engine.dispose();
});

/** Float offsets of the momentum step's inputs and outputs. */
const SGD = {
  theta: A_AT + 1024,
  vel: A_AT + 5120,
  grad: A_AT + 9216,
  thetaOut: B_AT,
  velOut: C_AT,
};

/**
 * pylearn2's momentum step in float32, each operation rounded as
 * WebAssembly's f32 operations round: `v' = m·v − lr·g`, `θ' = θ + v'`.
 */
function sgdMomentumRef(
  theta: Float32Array,
  vel: Float32Array,
  grad: Float32Array,
  rates: { momentum: number; lr: number },
): { theta: Float32Array; vel: Float32Array } {
  const m = Math.fround(rates.momentum);
  const lr = Math.fround(rates.lr);
  const f = Math.fround;
  const v = vel.map((vi, i) => f(f(m * vi) - f(lr * grad[i])));
  return { theta: theta.map((t, i) => f(t + v[i])), vel: v };
}

/** Floats of `got` whose bits differ from `want`'s, and the first one. */
function bitDiffs(got: Float32Array, want: Float32Array): string {
  assert.equal(got.length, want.length, "lengths differ");
  let count = 0;
  let first = "";
  for (let i = 0; i < got.length; i++) {
    if (Object.is(got[i], want[i])) continue;
    if (count === 0) first = ` (first at ${i}: ${got[i]} vs ${want[i]})`;
    count++;
  }
  return count === 0 ? "" : `${count} floats differ${first}`;
}

/** Whether `f` holds {@linkcode SENTINEL} on both sides of [at, at + n). */
function guardsIntact(f: Float32Array, at: number, n: number): boolean {
  const before = f.subarray(at - GUARD, at);
  const after = f.subarray(at + n, at + n + GUARD);
  return [...before, ...after].every((v) => v === SENTINEL);
}

const SGD_COUNTS = [0, 1, 3, 4, 5, 1001];

/** Rates whose products are inexact in float32. */
const RATES = [
  { momentum: 0.9, lr: 0.1 },
  { momentum: 0.5, lr: 1e-3 },
];

Deno.test("KernelEngine.sgdMomentum() equals a float32 loop bit for bit", async () => {
  const { engine, f } = await plainEngine();
  const rng = new Rng(21);
  for (const count of SGD_COUNTS) {
    for (const rates of RATES) {
      const theta = rng.uniform(count, -1, 1);
      const vel = rng.uniform(count, -0.1, 0.1);
      const grad = rng.uniform(count, -2, 2);
      f.set(theta, SGD.theta);
      f.set(vel, SGD.vel);
      f.set(grad, SGD.grad);
      for (const at of [SGD.thetaOut, SGD.velOut]) {
        f.fill(SENTINEL, at - GUARD, at + count + GUARD);
      }
      engine.sgdMomentum({
        theta: 4 * SGD.theta,
        vel: 4 * SGD.vel,
        grad: 4 * SGD.grad,
        thetaOut: 4 * SGD.thetaOut,
        velOut: 4 * SGD.velOut,
      }, { count, ...rates });
      const want = sgdMomentumRef(theta, vel, grad, rates);
      const label = `count ${count}, ${JSON.stringify(rates)}`;
      const gotTheta = f.slice(SGD.thetaOut, SGD.thetaOut + count);
      const gotVel = f.slice(SGD.velOut, SGD.velOut + count);
      assert.equal(bitDiffs(gotTheta, want.theta), "", `${label}: θ'`);
      assert.equal(bitDiffs(gotVel, want.vel), "", `${label}: v'`);
      assert.ok(guardsIntact(f, SGD.thetaOut, count), `${label}: past θ'`);
      assert.ok(guardsIntact(f, SGD.velOut, count), `${label}: past v'`);
      // The inputs are left as they were.
      assert.equal(bitDiffs(f.slice(SGD.theta, SGD.theta + count), theta), "");
      assert.equal(bitDiffs(f.slice(SGD.vel, SGD.vel + count), vel), "");
    }
  }
  engine.dispose();
});

Deno.test("KernelEngine.sgdMomentum() updates θ and v in place", async () => {
  const { engine, f } = await plainEngine();
  const rng = new Rng(22);
  const rates = RATES[0];
  for (const count of SGD_COUNTS) {
    const theta = rng.uniform(count, -1, 1);
    const vel = rng.uniform(count, -0.1, 0.1);
    const grad = rng.uniform(count, -2, 2);
    for (const at of [SGD.theta, SGD.vel]) {
      f.fill(SENTINEL, at - GUARD, at + count + GUARD);
    }
    f.set(theta, SGD.theta);
    f.set(vel, SGD.vel);
    f.set(grad, SGD.grad);
    engine.sgdMomentum({
      theta: 4 * SGD.theta,
      vel: 4 * SGD.vel,
      grad: 4 * SGD.grad,
      thetaOut: 4 * SGD.theta,
      velOut: 4 * SGD.vel,
    }, { count, ...rates });
    const want = sgdMomentumRef(theta, vel, grad, rates);
    const label = `count ${count} in place`;
    const gotTheta = f.slice(SGD.theta, SGD.theta + count);
    const gotVel = f.slice(SGD.vel, SGD.vel + count);
    assert.equal(bitDiffs(gotTheta, want.theta), "", `${label}: θ'`);
    assert.equal(bitDiffs(gotVel, want.vel), "", `${label}: v'`);
    assert.ok(guardsIntact(f, SGD.theta, count), `${label}: past θ'`);
    assert.ok(guardsIntact(f, SGD.vel, count), `${label}: past v'`);
  }
  engine.dispose();
});

Deno.test("KernelEngine.sumRows() matches float64 column sums", async () => {
  const { engine, f } = await plainEngine();
  for (const cols of [1, 3, 4, 5, 17]) {
    for (const rows of [1, 2, 100]) {
      const x = pool.subarray(0, rows * cols);
      f.set(x, A_AT);
      f.fill(SENTINEL, C_AT - GUARD, C_AT + cols + GUARD);
      engine.sumRows(4 * A_AT, 4 * C_AT, rows, cols);
      let maxDiff = 0;
      for (let j = 0; j < cols; j++) {
        let want = 0;
        for (let i = 0; i < rows; i++) want += x[i * cols + j];
        const diff = Math.abs(f[C_AT + j] - want);
        maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
      }
      const label = `${rows} × ${cols}`;
      const tol = 1e-6 * rows;
      assert.ok(maxDiff <= tol, `${label}: max |diff| ${maxDiff} > ${tol}`);
      assert.ok(guardsIntact(f, C_AT, cols), `${label}: wrote outside y`);
    }
  }
  engine.dispose();
});

Deno.test("KernelEngine.addRows() adds the vector to every row bit for bit", async () => {
  const { engine, f } = await plainEngine();
  for (const cols of [1, 3, 4, 5, 17]) {
    for (const rows of [1, 2, 7]) {
      const x = pool.subarray(0, rows * cols);
      const b = pool.subarray(rows * cols, rows * cols + cols);
      f.set(x, A_AT);
      f.set(b, B_AT);
      f.fill(SENTINEL, C_AT - GUARD, C_AT + rows * cols + GUARD);
      engine.addRows(4 * A_AT, 4 * B_AT, 4 * C_AT, { rows, cols });
      const want = Float32Array.from(x, (v, i) => v + b[i % cols]);
      const label = `${rows} × ${cols}`;
      const got = f.slice(C_AT, C_AT + rows * cols);
      assert.equal(bitDiffs(got, want), "", label);
      assert.ok(guardsIntact(f, C_AT, rows * cols), `${label}: outside y`);
    }
  }
  engine.dispose();
});

Deno.test("KernelEngine.sgdMomentum() on 2 threads equals the float32 loop bit for bit", async () => {
  // 200 003 weights: above the threading threshold (2^16), split into
  // chunks that do not divide the count evenly.
  const count = 200_003;
  const memory = new WebAssembly.Memory({
    initial: 64,
    maximum: 64,
    shared: true,
  });
  const engine = await KernelEngine.create(memory, { threads: 2 });
  try {
    const f = new Float32Array(memory.buffer);
    const rng = new Rng(23);
    const theta = rng.uniform(count, -1, 1);
    const vel = rng.uniform(count, -0.1, 0.1);
    const grad = rng.uniform(count, -2, 2);
    const at = { theta: 0, vel: 1 << 18, grad: 2 << 18, out: 3 << 18 };
    f.set(theta, at.theta);
    f.set(vel, at.vel);
    f.set(grad, at.grad);
    f.fill(SENTINEL, at.out - GUARD, at.out + count + GUARD);
    const rates = RATES[0];
    engine.sgdMomentum({
      theta: 4 * at.theta,
      vel: 4 * at.vel,
      grad: 4 * at.grad,
      thetaOut: 4 * at.out,
      velOut: 4 * at.vel,
    }, { count, ...rates });
    const want = sgdMomentumRef(theta, vel, grad, rates);
    assert.equal(bitDiffs(f.slice(at.out, at.out + count), want.theta), "");
    assert.equal(bitDiffs(f.slice(at.vel, at.vel + count), want.vel), "");
    assert.ok(guardsIntact(f, at.out, count), "wrote past θ'");
  } finally {
    engine.dispose();
  }
});
