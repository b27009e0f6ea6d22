/**
 * The code of webgan's matrix-product kernel, written as WebAssembly SIMD,
 * and of the transpose it relies on.
 *
 * The exported `gemm` computes `C = A·B` for a range of C's columns, where
 * A and C may have any row and column strides and B has contiguous rows.
 * Strided A and C cover every transpose flag of a matrix product except a
 * transposed B, for which `transpose` makes a row-major copy of one
 * operand; see `../backend/wasm_matmul.ts`. `./module.ts` assembles them.
 *
 * The work is cut into register tiles of 5 rows × 8 columns (two `v128`
 * accumulators a row, ten in all); rows left over go in tiles of 4, then
 * 1, and columns left over in blocks of 4, then 1. For each k a tile loads B's row segment
 * once and one element of each A row, splatted to four lanes, and adds
 * their products into the accumulators, with the fused multiply-add of
 * relaxed SIMD where the engine has it. This is the register-blocked
 * outer-product scheme of the classic BLAS kernels; every parameter below
 * is a byte address or a byte stride except the counts.
 *
 * @module
 */
import { Code, stepLoop, whileLoop } from "./wasm_writer.ts";

/** How the kernel adds a product into an accumulator. */
export type MultiplyAdd = "fused" | "separate";

/** Parameter order of the exported `gemm`, all `i32`. */
export const GEMM_PARAMS = [
  "a", // address of A[0, 0]
  "asr", // byte stride between A's rows
  "asc", // byte stride between A's columns
  "b", // address of B[0, 0]; B's columns are contiguous
  "ldb", // byte stride between B's rows
  "c", // address of C[0, 0]
  "csr", // byte stride between C's rows
  "csc", // byte stride between C's columns
  "m", // rows of A and C
  "k", // columns of A, rows of B; at least 1
  "j0", // first column of C to compute
  "j1", // one past the last
] as const;

/**
 * Rows and 4-lane vectors of the main register tile: 5 × 2 needs 10
 * accumulators, 2 row segments of B and 1 splat, 13 of the 15 vector
 * registers V8 allocates on x86-64. Single-threaded on this project's
 * 2-core x86-64 machine, 5 × 2 ran at about 34 GFLOP/s, 4 × 2 and 6 × 2 at
 * about 30; wider tiles spill.
 */
const TILE_ROWS = 5;
const TILE_VECTORS = 2;

/**
 * Length of a k block. The kernel sweeps all of C once per block, so that
 * the A rows of a block (m × 256 floats: 100 KiB for 100 rows) stay in the
 * level-2 cache and a tile's slice of B (256 × 8 floats, 8 KiB) in level 1.
 */
const K_BLOCK = 256;

type Param = typeof GEMM_PARAMS[number];
const P = Object.fromEntries(GEMM_PARAMS.map((name, i) => [name, i])) as Record<
  Param,
  number
>;

/** Emit `acc = s·b + acc` with the chosen multiply-add. */
function multiplyAdd(
  code: Code,
  mode: MultiplyAdd,
  s: number,
  b: number,
  acc: number,
): void {
  if (mode === "fused") {
    code.get(s).get(b).get(acc).relaxedMadd();
  } else {
    code.get(s).get(b).f32x4Mul().get(acc).f32x4Add();
  }
  code.set(acc);
}

/** The locals every tile shares. */
interface Locals {
  /** First k of the current block, and the block's length. */
  kb: number;
  klen: number;
  /** A and B advanced to the block: &A[0, kb] and &B[kb, 0]. */
  aK: number;
  bK: number;
  i: number;
  j: number;
  kk: number;
  pb: number;
  pa: number[];
  s: number;
  bv: number[];
  acc: number[][];
  addr: number;
  laneAddr: number;
  accScalar: number;
}

/**
 * How A's elements lie, which decides how a tile steps through them:
 * `rows` when each row is contiguous (row-major A: the k loop is unrolled
 * four times and reads A through constant offsets), `columns` when each
 * column is (a transposed A: one pointer serves all the tile's rows), and
 * `strided` otherwise (a pointer a row, each advanced every k).
 */
export type ALayout = "rows" | "columns" | "strided";

/** Unrolling of the k loop for row-major A. */
const K_UNROLL = 4;

/** Emit one k step of a tile: load B's row segment, then multiply-add. */
function kStep(
  code: Code,
  mode: MultiplyAdd,
  l: Locals,
  shape: { rows: number; vectors: number },
  aLoad: (r: number) => void,
): void {
  for (let v = 0; v < shape.vectors; v++) {
    code.get(l.pb).v128Load(16 * v).set(l.bv[v]);
  }
  for (let r = 0; r < shape.rows; r++) {
    aLoad(r);
    code.set(l.s);
    for (let v = 0; v < shape.vectors; v++) {
      multiplyAdd(code, mode, l.s, l.bv[v], l.acc[r][v]);
    }
  }
  code.get(l.pb).get(P.ldb).add().set(l.pb);
}

/**
 * Emit the tile of `rows` rows × `vectors`·4 columns whose top-left corner
 * is C[i, j]: its k loop, then its stores.
 */
function vectorTile(
  code: Code,
  mode: MultiplyAdd,
  l: Locals,
  shape: { rows: number; vectors: number; layout: ALayout },
): void {
  const { rows, vectors, layout } = shape;
  // pa[r] = &A[i + r, kb]; pb = &B[kb, j].
  code.get(l.aK).get(l.i).get(P.asr).mul().add().set(l.pa[0]);
  if (layout !== "columns") {
    for (let r = 1; r < rows; r++) {
      code.get(l.pa[r - 1]).get(P.asr).add().set(l.pa[r]);
    }
  }
  code.get(l.bK).get(l.j).i32(4).mul().add().set(l.pb);
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < vectors; v++) {
      code.f32(0).f32x4Splat().set(l.acc[r][v]);
    }
  }
  code.get(l.klen).set(l.kk);
  if (layout === "columns") {
    // The tile's rows of A are adjacent floats: offsets of one pointer.
    code.loop();
    kStep(code, mode, l, shape, (r) => code.get(l.pa[0]).load32Splat(4 * r));
    code.get(l.pa[0]).get(P.asc).add().set(l.pa[0]);
    code.get(l.kk).i32(1).sub().tee(l.kk).brIf(0);
    code.end();
  } else {
    if (layout === "rows") {
      // Four k at a time: A's next elements sit 4 bytes apart.
      whileLoop(code, () => code.i32(K_UNROLL).get(l.kk).leS(), () => {
        for (let u = 0; u < K_UNROLL; u++) {
          kStep(
            code,
            mode,
            l,
            shape,
            (r) => code.get(l.pa[r]).load32Splat(4 * u),
          );
        }
        for (let r = 0; r < rows; r++) {
          code.get(l.pa[r]).i32(4 * K_UNROLL).add().set(l.pa[r]);
        }
        code.get(l.kk).i32(K_UNROLL).sub().set(l.kk);
      });
    }
    // What is left of k (all of it for strided A), one step at a time.
    whileLoop(code, () => code.get(l.kk), () => {
      kStep(code, mode, l, shape, (r) => code.get(l.pa[r]).load32Splat());
      for (let r = 0; r < rows; r++) {
        code.get(l.pa[r]).get(P.asc).add().set(l.pa[r]);
      }
      code.get(l.kk).i32(1).sub().set(l.kk);
    });
  }

  // Stores: whole vectors when C's columns are contiguous, else lane by
  // lane; after the first k block, added to what C holds.
  code.get(P.csc).i32(4).eq().if();
  for (const accumulate of [false, true]) {
    if (!accumulate) code.get(l.kb).eqz().if();
    else code.else();
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vectors; v++) {
        tileAddress(code, l, r, v);
        code.get(l.addr);
        if (accumulate) code.get(l.addr).v128Load();
        code.get(l.acc[r][v]);
        if (accumulate) code.f32x4Add();
        code.v128Store();
      }
    }
  }
  code.end();
  code.else();
  for (const accumulate of [false, true]) {
    if (!accumulate) code.get(l.kb).eqz().if();
    else code.else();
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vectors; v++) {
        tileAddress(code, l, r, v);
        for (let lane = 0; lane < 4; lane++) {
          code.get(l.addr).get(P.csc).i32(lane).mul().add().set(l.laneAddr);
          code.get(l.laneAddr);
          if (accumulate) code.get(l.laneAddr).f32Load();
          code.get(l.acc[r][v]).extractLane(lane);
          if (accumulate) code.f32Add();
          code.f32Store();
        }
      }
    }
  }
  code.end();
  code.end();
}

/** Set `l.addr` to C's address for row i + r, column j + 4v. */
function tileAddress(code: Code, l: Locals, r: number, v: number): void {
  code.get(P.c).get(l.i).i32(r).add().get(P.csr).mul().add();
  code.get(l.j).i32(4 * v).add().get(P.csc).mul().add().set(l.addr);
}

/** Emit one row × one column of C: a scalar dot product. */
function scalarTile(code: Code, l: Locals): void {
  code.get(l.aK).get(l.i).get(P.asr).mul().add().set(l.pa[0]);
  code.get(l.bK).get(l.j).i32(4).mul().add().set(l.pb);
  code.f32(0).set(l.accScalar);
  code.get(l.klen).set(l.kk);
  code.loop();
  code.get(l.pa[0]).f32Load().get(l.pb).f32Load().f32Mul();
  code.get(l.accScalar).f32Add().set(l.accScalar);
  code.get(l.pa[0]).get(P.asc).add().set(l.pa[0]);
  code.get(l.pb).get(P.ldb).add().set(l.pb);
  code.get(l.kk).i32(1).sub().tee(l.kk).brIf(0);
  code.end();
  code.get(P.c).get(l.i).get(P.csr).mul().add();
  code.get(l.j).get(P.csc).mul().add().set(l.addr);
  // After the first k block, add what C holds.
  code.get(l.kb).if();
  code.get(l.accScalar).get(l.addr).f32Load().f32Add().set(l.accScalar);
  code.end();
  code.get(l.addr).get(l.accScalar).f32Store();
}

/** Emit every row of the column block at j, `cols` columns wide. */
function columnBlock(
  code: Code,
  mode: MultiplyAdd,
  l: Locals,
  block: { cols: number; layout: ALayout },
): void {
  const { cols, layout } = block;
  const m = () => code.get(P.m);
  code.i32(0).set(l.i);
  if (cols === 1) {
    stepLoop(code, l.i, 1, m, () => scalarTile(code, l));
    return;
  }
  const vectors = cols / 4;
  stepLoop(
    code,
    l.i,
    TILE_ROWS,
    m,
    () => vectorTile(code, mode, l, { rows: TILE_ROWS, vectors, layout }),
  );
  for (const rows of [4, 1]) {
    stepLoop(
      code,
      l.i,
      rows,
      m,
      () => vectorTile(code, mode, l, { rows, vectors, layout }),
    );
  }
}

/** The body of `gemm`; see the parameter list {@linkcode GEMM_PARAMS}. */
export function gemmCode(mode: MultiplyAdd): Code {
  const code = new Code(GEMM_PARAMS.length);
  const v128 = () => code.local("v128");
  const l: Locals = {
    kb: code.local("i32"),
    klen: code.local("i32"),
    aK: code.local("i32"),
    bK: code.local("i32"),
    i: code.local("i32"),
    j: code.local("i32"),
    kk: code.local("i32"),
    pb: code.local("i32"),
    pa: Array.from({ length: TILE_ROWS }, () => code.local("i32")),
    s: v128(),
    bv: Array.from({ length: TILE_VECTORS }, v128),
    acc: Array.from(
      { length: TILE_ROWS },
      () => Array.from({ length: TILE_VECTORS }, v128),
    ),
    addr: code.local("i32"),
    laneAddr: code.local("i32"),
    accScalar: code.local("f32"),
  };
  const j1 = () => code.get(P.j1);
  // for (kb = 0; kb < k; kb += K_BLOCK): klen = min(K_BLOCK, k − kb).
  code.i32(0).set(l.kb);
  code.loop();
  code.get(P.k).get(l.kb).sub().set(l.klen);
  code.get(l.klen).i32(K_BLOCK).gtS().if().i32(K_BLOCK).set(l.klen).end();
  code.get(P.a).get(l.kb).get(P.asc).mul().add().set(l.aK);
  code.get(P.b).get(l.kb).get(P.ldb).mul().add().set(l.bK);
  const columns = (layout: ALayout) => {
    code.get(P.j0).set(l.j);
    for (const cols of [4 * TILE_VECTORS, 4, 1]) {
      stepLoop(
        code,
        l.j,
        cols,
        j1,
        () => columnBlock(code, mode, l, { cols, layout }),
      );
    }
  };
  // One loop nest for each layout of A, chosen once per k block.
  code.get(P.asc).i32(4).eq().if();
  columns("rows");
  code.else();
  code.get(P.asr).i32(4).eq().if();
  columns("columns");
  code.else();
  columns("strided");
  code.end();
  code.end();
  code.get(l.kb).i32(K_BLOCK).add().tee(l.kb).get(P.k).ltS().brIf(0);
  code.end();
  return code;
}

/** Columns of src a transpose pass covers: 16 dst rows written in step. */
const TRANSPOSE_BLOCK = 16;

/**
 * The body of `transpose(src, dst, rows, cols)`: dst, cols × rows, receives
 * the transpose of src, rows × cols, both row-major at byte addresses.
 * Columns go in blocks of 16, so that for each src row one cache line is
 * read and 16 dst rows are each extended by one element.
 */
export function transposeCode(): Code {
  const [src, dst, rows, cols] = [0, 1, 2, 3];
  const code = new Code(4);
  const i = code.local("i32");
  const j = code.local("i32");
  const jb = code.local("i32");
  const jEnd = code.local("i32");
  const from = code.local("i32");
  const to = code.local("i32");
  const rowBytes = code.local("i32");
  code.get(rows).i32(4).mul().set(rowBytes);
  code.i32(0).set(jb);
  whileLoop(code, () => code.get(jb).get(cols).ltS(), () => {
    // jEnd = min(jb + block, cols)
    code.get(jb).i32(TRANSPOSE_BLOCK).add().set(jEnd);
    code.get(jEnd).get(cols).gtS().if().get(cols).set(jEnd).end();
    code.i32(0).set(i);
    stepLoop(code, i, 1, () => code.get(rows), () => {
      // from = &src[i, jb]; to = &dst[jb, i]
      code.get(src).get(i).get(cols).mul().get(jb).add().i32(4).mul().add()
        .set(from);
      code.get(dst).get(jb).get(rowBytes).mul().add().get(i).i32(4).mul()
        .add().set(to);
      code.get(jb).set(j);
      whileLoop(code, () => code.get(j).get(jEnd).ltS(), () => {
        code.get(to).get(from).f32Load().f32Store();
        code.get(from).i32(4).add().set(from);
        code.get(to).get(rowBytes).add().set(to);
        code.get(j).i32(1).add().set(j);
      });
    });
    code.get(jEnd).set(jb);
  });
  return code;
}
