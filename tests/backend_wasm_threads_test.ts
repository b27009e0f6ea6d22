/**
 * The threaded wasm build started by `startWasmThreads()` computes the same
 * products as the cpu backend, flag-free and with transpose flags, at sizes
 * (100 rows, a 300 × 400 weight) that XNNPACK splits across threads.
 */
import assert from "node:assert/strict";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "../src/backend/tf.ts";
import { startWasmThreads } from "../src/backend/wasm_threads.ts";
import { registerFastGradients } from "../src/backend/gradients.ts";
import { Rng } from "../src/util/rng.ts";

registerFastGradients();

const [ROWS, INNER, OUTER] = [100, 300, 400];

/** Products of a [ROWS, INNER] batch with an [INNER, OUTER] weight. */
function products(
  a: Float32Array,
  w: Float32Array,
): Float32Array[] {
  return tf.tidy(() => {
    const at = tf.tensor2d(a, [ROWS, INNER]);
    const wt = tf.tensor2d(w, [INNER, OUTER]);
    const out = [
      tf.matMul(at, wt),
      tf.matMul(at, tf.transpose(wt), false, true),
      tf.matMul(tf.transpose(wt), at, false, true),
      tf.matMul(at, at, true, false),
      tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(at, x))))(wt),
    ];
    return out.map((t) => t.dataSync() as Float32Array);
  });
}

function maxAbsDiff(got: Float32Array, want: Float32Array): number {
  let max = 0;
  for (let i = 0; i < got.length; i++) {
    max = Math.max(max, Math.abs(got[i] - want[i]));
  }
  return max;
}

Deno.test({
  name: "startWasmThreads() runs 2 threads that match the cpu backend",
  // XNNPACK's pool workers live until the process exits, by design.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.equal(await startWasmThreads({ threads: 2 }), 2);
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(typeof globalThis.Worker, "function");
    assert.equal(await startWasmThreads({ threads: 4 }), 2, "not idempotent");

    const rng = new Rng(5);
    const a = rng.uniform(ROWS * INNER, -1, 1);
    const w = rng.uniform(INNER * OUTER, -0.1, 0.1);
    const threaded = products(a, w);
    await tf.setBackend("cpu");
    const reference = products(a, w);
    await tf.setBackend("wasm");

    threaded.forEach((got, i) => {
      const want = reference[i];
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const err = maxAbsDiff(got, want);
      assert.ok(err <= 1e-5 * scale, `product ${i}: max |diff| ${err}`);
    });
    assert.equal(getThreadsCount(), 2);
  },
});

Deno.test("startWasmThreads() refuses a thread count outside 1 to 8", async () => {
  await assert.rejects(() => startWasmThreads({ threads: 0 }), RangeError);
  await assert.rejects(() => startWasmThreads({ threads: 1.5 }), RangeError);
  await assert.rejects(() => startWasmThreads({ threads: 9 }), RangeError);
});
