/**
 * The code of the maxout layer's reduction and its gradient, as scalar
 * WebAssembly. Both choose between values with an integer `select` on the
 * floats' bits, which compiles to a conditional move; a float comparison
 * that branched would mispredict on about every other piece.
 *
 * A maxout unit (Goodfellow et al., 2013, used by the paper's
 * discriminator) outputs the largest of its `pieces` linear pieces; its
 * gradient flows only to the pieces that equal that maximum. With x laid
 * out as [rows, pieces], `max_innermost(x, y, rows, pieces)` writes
 * `y[r] = max_p x[r, p]` and `max_innermost_grad(x, y, dy, dx, rows,
 * pieces)` writes `dx[r, p] = x[r, p] == y[r] ? dy[r] : 0`, ties included,
 * as tfjs's own `Max` gradient does. Addresses are in bytes.
 *
 * @module
 */
import { Code, stepLoop } from "./wasm_writer.ts";

/** The body of `max_innermost(x, y, rows, pieces)`; pieces ≥ 1. */
export function maxInnermostCode(): Code {
  const [x, y, rows, pieces] = [0, 1, 2, 3];
  const code = new Code(4);
  const r = code.local("i32");
  const p = code.local("i32");
  const at = code.local("i32");
  const best = code.local("i32");
  const v = code.local("i32");
  code.get(x).set(at);
  code.i32(0).set(r);
  stepLoop(code, r, 1, () => code.get(rows), () => {
    code.get(at).i32Load().set(best);
    code.get(at).i32(4).add().set(at);
    code.i32(1).set(p);
    stepLoop(code, p, 1, () => code.get(pieces), () => {
      // best = (v > best || v is NaN) ? v : best, so NaN wins as in tf.max.
      code.get(at).i32Load().set(v);
      code.get(v).get(best);
      code.get(v).asF32().get(best).asF32().f32Gt();
      code.get(v).asF32().get(v).asF32().f32Ne().or();
      code.select().set(best);
      code.get(at).i32(4).add().set(at);
    });
    code.get(y).get(r).i32(4).mul().add().get(best).i32Store();
  });
  return code;
}

/** The body of `max_innermost_grad(x, y, dy, dx, rows, pieces)`. */
export function maxInnermostGradCode(): Code {
  const [x, y, dy, dx, rows, pieces] = [0, 1, 2, 3, 4, 5];
  const code = new Code(6);
  const r = code.local("i32");
  const p = code.local("i32");
  const offset = code.local("i32");
  const best = code.local("f32");
  const g = code.local("i32");
  code.i32(0).set(offset);
  code.i32(0).set(r);
  stepLoop(code, r, 1, () => code.get(rows), () => {
    code.get(y).get(r).i32(4).mul().add().f32Load().set(best);
    code.get(dy).get(r).i32(4).mul().add().i32Load().set(g);
    code.i32(0).set(p);
    stepLoop(code, p, 1, () => code.get(pieces), () => {
      // dx[at] = x[at] == best ? dy[r] : +0, as bits.
      code.get(dx).get(offset).add();
      code.get(g).i32(0);
      code.get(x).get(offset).add().f32Load().get(best).f32Eq();
      code.select().i32Store();
      code.get(offset).i32(4).add().set(offset);
    });
  });
  return code;
}
