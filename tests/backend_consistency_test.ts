import assert from "node:assert/strict";
import { tf } from "../src/backend/tf.ts";
import { type BackendName, selectBackend } from "../src/backend/select.ts";
import { Dense, Maxout } from "../src/models/layers.ts";
import { realLoss } from "../src/train/losses.ts";
import { Rng } from "../src/util/rng.ts";

/** Values of one tiny forward and backward pass, on the active backend. */
async function tinyPass(): Promise<Record<string, Float32Array>> {
  const rng = new Rng(21);
  const init = { kind: "uniform", range: 0.5 } as const;
  const dense = new Dense(rng, [6, 10], { init, bias: 0.1 });
  const maxout = new Maxout(rng, [10, 4, 3], { init });
  const head = new Dense(rng, [4, 1], { init });
  const x = tf.tensor2d(rng.uniform(5 * 6, -1, 1), [5, 6]);
  const vars = [...dense.variables, ...maxout.variables, ...head.variables];
  const { value, grads } = tf.variableGrads(() => {
    const h = maxout.apply(tf.relu(dense.apply(x)), { training: false });
    return realLoss(head.apply(h));
  }, vars);
  const out: Record<string, Float32Array> = {
    loss: await value.data() as Float32Array,
  };
  for (const [i, v] of vars.entries()) {
    out[`grad${i}`] = await grads[v.name].data() as Float32Array;
  }
  tf.dispose([value, x, ...Object.values(grads), ...vars]);
  return out;
}

function maxDiff(
  a: Record<string, Float32Array>,
  b: Record<string, Float32Array>,
): number {
  let m = 0;
  for (const key of Object.keys(a)) {
    a[key].forEach((v, i) => (m = Math.max(m, Math.abs(v - b[key][i]))));
  }
  return m;
}

const hasAdapter = Boolean(await navigator.gpu?.requestAdapter());
const backends: BackendName[] = ["wasm", "webgpu"];

await selectBackend("cpu");
const reference = await tinyPass();

for (const backend of backends) {
  Deno.test({
    name: `dense-maxout-BCE pass on ${backend} matches cpu` +
      (backend === "webgpu" && !hasAdapter
        ? " (skipped: navigator.gpu offers no adapter)"
        : ""),
    ignore: backend === "webgpu" && !hasAdapter,
    async fn() {
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const values = await tinyPass();
      assert.equal(tf.memory().numTensors, before, "the pass leaked tensors");
      const diff = maxDiff(reference, values);
      assert.ok(diff < 1e-4, `max difference from cpu: ${diff}`);
      assert.ok(
        Math.abs(values.loss[0] - reference.loss[0]) < 1e-5,
        `loss ${values.loss[0]} vs ${reference.loss[0]} on cpu`,
      );
    },
  });
}
