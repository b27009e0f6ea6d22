/**
 * The code of two memory-bound passes that tfjs runs as several kernels:
 * the momentum SGD update of every weight, and the column sums that give a
 * bias its gradient.
 *
 * `sgd_momentum(theta, vel, grad, thetaOut, velOut, count, momentum, lr)`
 * computes, element by element, `v' = momentum·v − lr·g` and
 * `θ' = θ + v'`: pylearn2's momentum rule, which the paper's experiments
 * used. The operations and their order are those of the unfused tfjs ops
 * (`mul`, `mul`, `sub`, `add`), and WebAssembly never fuses a multiply and
 * an add on its own, so the results are bit for bit the same.
 *
 * `sum_rows(x, y, rows, cols)` writes `y[j] = Σ_i x[i, j]`, summing rows
 * in order, four columns a vector.
 *
 * `add_rows(x, b, y, rows, cols)` writes `y[i, j] = x[i, j] + b[j]`: a
 * bias added to every row, one float32 addition each, as tfjs's `Add`.
 *
 * Addresses are in bytes.
 *
 * @module
 */
import { Code, stepLoop } from "./wasm_writer.ts";

/** The body of `sgd_momentum`; its last two parameters are f32. */
export function sgdMomentumCode(): Code {
  const [theta, vel, grad, thetaOut, velOut, count, momentum, lr] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
  ];
  const code = new Code(8);
  const i = code.local("i32");
  const at = code.local("i32");
  const m4 = code.local("v128");
  const lr4 = code.local("v128");
  const v4 = code.local("v128");
  const v1 = code.local("f32");
  code.get(momentum).f32x4Splat().set(m4);
  code.get(lr).f32x4Splat().set(lr4);
  code.i32(0).set(i);
  stepLoop(code, i, 4, () => code.get(count), () => {
    code.get(i).i32(4).mul().set(at);
    // v' = m·v − lr·g
    code.get(vel).get(at).add().v128Load().get(m4).f32x4Mul();
    code.get(grad).get(at).add().v128Load().get(lr4).f32x4Mul();
    code.f32x4Sub().set(v4);
    code.get(velOut).get(at).add().get(v4).v128Store();
    // θ' = θ + v'
    code.get(thetaOut).get(at).add();
    code.get(theta).get(at).add().v128Load().get(v4).f32x4Add();
    code.v128Store();
  });
  stepLoop(code, i, 1, () => code.get(count), () => {
    code.get(i).i32(4).mul().set(at);
    code.get(vel).get(at).add().f32Load().get(momentum).f32Mul();
    code.get(grad).get(at).add().f32Load().get(lr).f32Mul();
    code.f32Sub().set(v1);
    code.get(velOut).get(at).add().get(v1).f32Store();
    code.get(thetaOut).get(at).add();
    code.get(theta).get(at).add().f32Load().get(v1).f32Add();
    code.f32Store();
  });
  return code;
}

/** The body of `sum_rows(x, y, rows, cols)`. */
export function sumRowsCode(): Code {
  const [x, y, rows, cols] = [0, 1, 2, 3];
  const code = new Code(4);
  const i = code.local("i32");
  const j = code.local("i32");
  const at = code.local("i32");
  const rowBytes = code.local("i32");
  const acc4 = code.local("v128");
  const acc1 = code.local("f32");
  code.get(cols).i32(4).mul().set(rowBytes);
  code.i32(0).set(j);
  stepLoop(code, j, 4, () => code.get(cols), () => {
    code.f32(0).f32x4Splat().set(acc4);
    code.get(x).get(j).i32(4).mul().add().set(at);
    code.i32(0).set(i);
    stepLoop(code, i, 1, () => code.get(rows), () => {
      code.get(acc4).get(at).v128Load().f32x4Add().set(acc4);
      code.get(at).get(rowBytes).add().set(at);
    });
    code.get(y).get(j).i32(4).mul().add().get(acc4).v128Store();
  });
  stepLoop(code, j, 1, () => code.get(cols), () => {
    code.f32(0).set(acc1);
    code.get(x).get(j).i32(4).mul().add().set(at);
    code.i32(0).set(i);
    stepLoop(code, i, 1, () => code.get(rows), () => {
      code.get(acc1).get(at).f32Load().f32Add().set(acc1);
      code.get(at).get(rowBytes).add().set(at);
    });
    code.get(y).get(j).i32(4).mul().add().get(acc1).f32Store();
  });
  return code;
}

/** The body of `add_rows(x, b, y, rows, cols)`. */
export function addRowsCode(): Code {
  const [x, b, y, rows, cols] = [0, 1, 2, 3, 4];
  const code = new Code(5);
  const i = code.local("i32");
  const j = code.local("i32");
  const row = code.local("i32");
  const at = code.local("i32");
  const rowBytes = code.local("i32");
  code.get(cols).i32(4).mul().set(rowBytes);
  code.i32(0).set(i);
  stepLoop(code, i, 1, () => code.get(rows), () => {
    // row = i·cols·4: the byte offset of row i in x and y.
    code.get(i).get(rowBytes).mul().set(row);
    code.i32(0).set(j);
    stepLoop(code, j, 4, () => code.get(cols), () => {
      code.get(j).i32(4).mul().set(at);
      code.get(y).get(row).add().get(at).add();
      code.get(x).get(row).add().get(at).add().v128Load();
      code.get(b).get(at).add().v128Load().f32x4Add().v128Store();
    });
    stepLoop(code, j, 1, () => code.get(cols), () => {
      code.get(j).i32(4).mul().set(at);
      code.get(y).get(row).add().get(at).add();
      code.get(x).get(row).add().get(at).add().f32Load();
      code.get(b).get(at).add().f32Load().f32Add().f32Store();
    });
  });
  return code;
}
