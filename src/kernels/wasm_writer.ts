/**
 * A small WebAssembly binary writer: just enough of the format to build
 * webgan's own kernels in TypeScript, with no compiler and no binary file in
 * the repository.
 *
 * A module built here imports one memory (tfjs's wasm heap) and exports
 * functions whose parameters and locals are `i32`, `f32` or `v128`. Function
 * bodies are written with {@linkcode Code}, one method per instruction, in
 * the order the stack machine runs them.
 *
 * Encodings follow the WebAssembly core specification 2.0 (binary format,
 * chapter 5), its fixed-width SIMD proposal, and the relaxed-SIMD proposal
 * for `f32x4.relaxed_madd`.
 *
 * @module
 */

/** A value type of a parameter or local. */
export type ValType = "i32" | "f32" | "v128";

const VALTYPE_BYTE: Record<ValType, number> = {
  i32: 0x7f,
  f32: 0x7d,
  v128: 0x7b,
};

/** Unsigned LEB128 encoding of `value`. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 encoding of the 32-bit integer `value`. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  while (true) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) ||
      (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A SIMD instruction: the 0xfd prefix, then its opcode as a LEB128. */
function simd(op: number): number[] {
  return [0xfd, ...uleb(op)];
}

/**
 * A function body under construction. Locals are numbered after the
 * parameters, in the order {@linkcode Code.local} declares them. Each
 * instruction method appends its encoding and returns `this`.
 */
export class Code {
  #bytes: number[] = [];
  #locals: ValType[] = [];
  #next: number;

  /** @param paramCount How many parameters the function takes. */
  constructor(paramCount: number) {
    this.#next = paramCount;
  }

  /** Declare a local of type `type` and return its index. */
  local(type: ValType): number {
    this.#locals.push(type);
    return this.#next++;
  }

  #op(...bytes: number[]): this {
    this.#bytes.push(...bytes);
    return this;
  }

  /** `local.get` */
  get(index: number): this {
    return this.#op(0x20, ...uleb(index));
  }
  /** `local.set` */
  set(index: number): this {
    return this.#op(0x21, ...uleb(index));
  }
  /** `local.tee` */
  tee(index: number): this {
    return this.#op(0x22, ...uleb(index));
  }
  /** `i32.const` */
  i32(value: number): this {
    return this.#op(0x41, ...sleb(value));
  }
  /** `i32.add` */
  add(): this {
    return this.#op(0x6a);
  }
  /** `i32.sub` */
  sub(): this {
    return this.#op(0x6b);
  }
  /** `i32.mul` */
  mul(): this {
    return this.#op(0x6c);
  }
  /** `i32.lt_s` */
  ltS(): this {
    return this.#op(0x48);
  }
  /** `i32.le_s` */
  leS(): this {
    return this.#op(0x4c);
  }
  /** `i32.gt_s` */
  gtS(): this {
    return this.#op(0x4a);
  }
  /** `i32.eqz` */
  eqz(): this {
    return this.#op(0x45);
  }
  /** `i32.eq` */
  eq(): this {
    return this.#op(0x46);
  }
  /** `block` with no result. */
  block(): this {
    return this.#op(0x02, 0x40);
  }
  /** `loop` with no result. */
  loop(): this {
    return this.#op(0x03, 0x40);
  }
  /** `if` with no result. */
  if(): this {
    return this.#op(0x04, 0x40);
  }
  /** `else` */
  else(): this {
    return this.#op(0x05);
  }
  /** `end` of a block, loop, if or the function. */
  end(): this {
    return this.#op(0x0b);
  }
  /** `br` to the enclosing label `depth` levels out. */
  br(depth: number): this {
    return this.#op(0x0c, ...uleb(depth));
  }
  /** `br_if` to the enclosing label `depth` levels out. */
  brIf(depth: number): this {
    return this.#op(0x0d, ...uleb(depth));
  }
  /** `f32.load` at byte `offset` past the address on the stack. */
  f32Load(offset = 0): this {
    return this.#op(0x2a, 2, ...uleb(offset));
  }
  /** `f32.store` at byte `offset` past the address. */
  f32Store(offset = 0): this {
    return this.#op(0x38, 2, ...uleb(offset));
  }
  /** `f32.const` */
  f32(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.#op(0x43, ...bytes);
  }
  /** `i32.or` */
  or(): this {
    return this.#op(0x72);
  }
  /** `f32.gt` */
  f32Gt(): this {
    return this.#op(0x5e);
  }
  /** `f32.ne` */
  f32Ne(): this {
    return this.#op(0x5c);
  }
  /** `i32.load` at byte `offset` past the address. */
  i32Load(offset = 0): this {
    return this.#op(0x28, 2, ...uleb(offset));
  }
  /** `i32.store` at byte `offset` past the address. */
  i32Store(offset = 0): this {
    return this.#op(0x36, 2, ...uleb(offset));
  }
  /** `f32.reinterpret_i32`: the same 32 bits read as a float. */
  asF32(): this {
    return this.#op(0xbe);
  }
  /** `f32.eq` */
  f32Eq(): this {
    return this.#op(0x5b);
  }
  /** `f32.max`: NaN if either operand is NaN. */
  f32Max(): this {
    return this.#op(0x97);
  }
  /** `select`: the first operand if the i32 on top is non-zero, else the second. */
  select(): this {
    return this.#op(0x1b);
  }
  /** `f32.add` */
  f32Add(): this {
    return this.#op(0x92);
  }
  /** `f32.sub` */
  f32Sub(): this {
    return this.#op(0x93);
  }
  /** `f32.mul` */
  f32Mul(): this {
    return this.#op(0x94);
  }
  /** `v128.load` at byte `offset`; the address need not be aligned. */
  v128Load(offset = 0): this {
    return this.#op(...simd(0x00), 0, ...uleb(offset));
  }
  /** `v128.load32_splat`: one f32 from memory into all four lanes. */
  load32Splat(offset = 0): this {
    return this.#op(...simd(0x09), 0, ...uleb(offset));
  }
  /** `v128.store` at byte `offset`. */
  v128Store(offset = 0): this {
    return this.#op(...simd(0x0b), 0, ...uleb(offset));
  }
  /** `f32x4.splat` */
  f32x4Splat(): this {
    return this.#op(...simd(0x13));
  }
  /** `f32x4.extract_lane` */
  extractLane(lane: number): this {
    return this.#op(...simd(0x1f), lane);
  }
  /** `f32x4.add` */
  f32x4Add(): this {
    return this.#op(...simd(0xe4));
  }
  /** `f32x4.sub` */
  f32x4Sub(): this {
    return this.#op(...simd(0xe5));
  }
  /** `f32x4.mul` */
  f32x4Mul(): this {
    return this.#op(...simd(0xe6));
  }
  /** `f32x4.relaxed_madd`: `a·b + c`, fused where the machine can. */
  relaxedMadd(): this {
    return this.#op(...simd(0x105));
  }

  /** The encoded body: its locals, its instructions and the final `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (const type of this.#locals) {
      groups.push([...uleb(1), VALTYPE_BYTE[type]]);
    }
    const body = [...vector(groups), ...this.#bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/** Emit `while (test()) body();`, where `test` pushes an i32. */
export function whileLoop(
  code: Code,
  test: () => void,
  body: () => void,
): void {
  code.block().loop();
  test();
  code.eqz().brIf(1);
  body();
  code.br(0).end().end();
}

/**
 * Emit `while (counter + step <= limit) { body(); counter += step; }`.
 */
export function stepLoop(
  code: Code,
  counter: number,
  step: number,
  limit: () => void,
  body: () => void,
): void {
  whileLoop(code, () => {
    code.get(counter).i32(step).add();
    limit();
    code.leS();
  }, () => {
    body();
    code.get(counter).i32(step).add().set(counter);
  });
}

/** One exported function of a module. */
export interface FunctionDef {
  /** The export name. */
  name: string;
  /** Parameter types, in order. */
  params: ValType[];
  /** The body; its parameter count must match `params`. */
  code: Code;
}

/** The memory a module imports as `env.memory`. */
export interface MemoryImport {
  /** Whether the memory is shared between threads. */
  shared: boolean;
}

/**
 * Encode a module that imports `env.memory` and exports `functions`, none
 * of which returns a value.
 */
export function buildModule(
  memory: MemoryImport,
  functions: FunctionDef[],
): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [
    0x60,
    ...vector(f.params.map((p) => [VALTYPE_BYTE[p]])),
    0,
  ]);
  // A shared memory must declare a maximum; 65536 pages is 4 GiB, the most
  // a 32-bit memory can hold, so any memory tfjs grows to still matches.
  const limits = memory.shared ? [0x03, 1, ...uleb(65536)] : [0x00, 1];
  const importEntry = [...utf8("env"), ...utf8("memory"), 0x02, ...limits];
  const exports = functions.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([importEntry])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(exports)),
    ...section(10, vector(functions.map((f) => f.code.encode()))),
  ];
  return new Uint8Array(bytes);
}
