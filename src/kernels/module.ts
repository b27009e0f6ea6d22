/**
 * webgan's wasm kernel module: the matrix product and transpose of
 * `./gemm_code.ts`, the maxout reductions of `./max_code.ts` and the update
 * passes of `./update_code.ts`, encoded by `./wasm_writer.ts` against an
 * imported memory.
 *
 * @module
 */
import {
  GEMM_PARAMS,
  gemmCode,
  type MultiplyAdd,
  transposeCode,
} from "./gemm_code.ts";
import { maxInnermostCode, maxInnermostGradCode } from "./max_code.ts";
import { addRowsCode, sgdMomentumCode, sumRowsCode } from "./update_code.ts";
import { buildModule, type ValType } from "./wasm_writer.ts";

export type { MultiplyAdd } from "./gemm_code.ts";

/** `count` i32 parameters. */
function ints(count: number): ValType[] {
  return Array.from({ length: count }, () => "i32");
}

/**
 * The module's bytes, for a memory that is or is not shared, with fused or
 * separate multiply-adds in the matrix product. It exports `gemm`,
 * `transpose`, `max_innermost`, `max_innermost_grad`, `sgd_momentum`,
 * `sum_rows` and `add_rows`.
 */
export function kernelModuleBytes(
  shared: boolean,
  mode: MultiplyAdd,
): Uint8Array<ArrayBuffer> {
  return buildModule({ shared }, [
    { name: "gemm", params: ints(GEMM_PARAMS.length), code: gemmCode(mode) },
    { name: "transpose", params: ints(4), code: transposeCode() },
    { name: "max_innermost", params: ints(4), code: maxInnermostCode() },
    {
      name: "max_innermost_grad",
      params: ints(6),
      code: maxInnermostGradCode(),
    },
    {
      name: "sgd_momentum",
      params: [...ints(6), "f32", "f32"],
      code: sgdMomentumCode(),
    },
    { name: "sum_rows", params: ints(4), code: sumRowsCode() },
    { name: "add_rows", params: ints(5), code: addRowsCode() },
  ]);
}
