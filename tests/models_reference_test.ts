/**
 * The reference's conv and MLP models: shapes, parameter counts and FLOPs
 * against hand-computed closed forms, batch-norm and dropout switches, and
 * the checks of `validateModel`.
 */
import assert from "node:assert/strict";
import { tf } from "../src/backend/tf.ts";
import { selectBackend } from "../src/backend/select.ts";
import { UserError } from "../src/cli/errors.ts";
import { countParameters, type GanPair } from "../src/models/net.ts";
import {
  buildModels,
  type ModelConfig,
  noiseDim,
  validateModel,
} from "../src/models/registry.ts";
import type { ReferenceConvConfig } from "../src/models/reference_conv.ts";
import type { ReferenceMlpConfig } from "../src/models/reference_mlp.ts";
import { REFERENCE_CONV_CIFAR10 } from "../src/train/presets/seed_cifar10.ts";
import { REFERENCE_CONV_MNIST } from "../src/train/presets/seed_mnist.ts";
import { modeCollapse } from "../src/train/presets/mode_collapse.ts";
import { Rng } from "../src/util/rng.ts";

const MNIST = { height: 28, width: 28, channels: 1 };
const CIFAR = { height: 32, width: 32, channels: 3 };
const MLP = modeCollapse.model as ReferenceMlpConfig;

function build(config: ModelConfig, image = MNIST, seed = 1): GanPair {
  return buildModels(new Rng(seed), config, { image });
}

function dispose(pair: GanPair): void {
  pair.generator.dispose();
  pair.discriminator.dispose();
}

/** G's and D's outputs for `batch` noise rows, in the given mode. */
async function run(
  pair: GanPair,
  options: { batch: number; training: boolean; seed?: number },
): Promise<{ images: Float32Array; logits: Float32Array; shapes: number[][] }> {
  const rng = new Rng(options.seed ?? 9);
  const context = { training: options.training, seed: () => rng.seed() };
  const z = tf.tensor2d(
    new Rng(5).normal(options.batch * 100),
    [options.batch, 100],
  );
  const [images, logits] = tf.tidy(() => {
    const x = pair.generator.apply(z, context);
    return [x, pair.discriminator.apply(x, context)];
  });
  const out = {
    images: await images.data() as Float32Array,
    logits: await logits.data() as Float32Array,
    shapes: [images.shape, logits.shape],
  };
  tf.dispose([z, images, logits]);
  return out;
}

Deno.test("buildModels() gives the reference's MNIST conv sizes", async () => {
  await selectBackend("wasm");
  const pair = build(REFERENCE_CONV_MNIST);
  // G: dense 100·6272 + 6272; two 3×3 128→128 transposed convs
  // (147 456 + 128 each); a 3×3 128→1 conv (1152 + 1).
  assert.strictEqual(countParameters(pair.generator), 929_793);
  // D: 3×3 1→64 (576 + 64), 3×3 64→64 (36 864 + 64), dense 3136 + 1.
  assert.strictEqual(countParameters(pair.discriminator), 40_705);
  const { images, shapes } = await run(pair, { batch: 3, training: true });
  assert.deepStrictEqual(shapes, [[3, 784], [3, 1]]);
  const top = images.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(top <= 1, `tanh output reached ${top}`);
  assert.strictEqual(noiseDim(REFERENCE_CONV_MNIST), 100);
  dispose(pair);
});

Deno.test("buildModels() gives the reference's CIFAR-10 conv sizes", async () => {
  await selectBackend("wasm");
  const pair = build(REFERENCE_CONV_CIFAR10, CIFAR);
  // G: dense 100·4096 + 4096; transposed convs 256→128 (294 912 + 128),
  // 128→128 twice (147 456 + 128); conv 128→3 (3456 + 3).
  assert.strictEqual(countParameters(pair.generator), 1_007_363);
  // D: 3→64 (1728 + 64), 64→128 (73 728 + 128), 128→256 (294 912 + 256),
  // dense 4·4·256 + 1.
  assert.strictEqual(countParameters(pair.discriminator), 374_913);
  const { shapes } = await run(pair, { batch: 2, training: false });
  assert.deepStrictEqual(shapes, [[2, 3072], [2, 1]]);
  dispose(pair);
});

Deno.test("forwardFlops() and inputLayerFlops() count the reference MNIST nets' multiply-adds", () => {
  const pair = build(REFERENCE_CONV_MNIST);
  // G: 2·100·6272; transposed convs over 7·7 and 14·14 input positions
  // with 9·128·128 weights; the output conv over 28·28 with 9·128.
  const g = 2 * (100 * 6272 + 49 * 147_456 + 196 * 147_456 + 784 * 1152);
  // D: convs over 14·14 outputs (9·64) and 7·7 outputs (9·64·64); dense.
  const d = 2 * (196 * 576 + 49 * 36_864 + 3136);
  assert.strictEqual(pair.generator.forwardFlops?.(3), 3 * g);
  assert.strictEqual(pair.discriminator.forwardFlops?.(3), 3 * d);
  // D's first conv alone: the input gradient a D step skips.
  assert.strictEqual(
    pair.discriminator.inputLayerFlops?.(3),
    3 * 2 * 196 * 576,
  );
  dispose(pair);
});

Deno.test("buildModels() gives the reference MLP's sizes", async () => {
  await selectBackend("wasm");
  const pair = build(MLP);
  // G: 100→128→256→512→1024→784, D: 784→512→256→1, each with biases.
  assert.strictEqual(countParameters(pair.generator), 1_506_448);
  assert.strictEqual(countParameters(pair.discriminator), 533_505);
  const { shapes } = await run(pair, { batch: 2, training: true });
  assert.deepStrictEqual(shapes, [[2, 784], [2, 1]]);
  dispose(pair);
});

Deno.test("reference-mlp logitActivation leaky-relu scales D's negative logits", async () => {
  await selectBackend("wasm");
  const linear = build({ ...MLP, logitActivation: "linear" });
  const leaky = build({ ...MLP, logitActivation: "leaky-relu" });
  const a = await run(linear, { batch: 16, training: true });
  const b = await run(leaky, { batch: 16, training: true });
  let worst = 0;
  a.logits.forEach((v, i) => {
    const expected = v > 0 ? v : MLP.leak * v;
    worst = Math.max(worst, Math.abs(b.logits[i] - expected));
  });
  assert.ok(worst < 1e-6, `max diff from LeakyReLU(logit) ${worst}`);
  dispose(linear);
  dispose(leaky);
});

Deno.test("reference-conv batch-norm switches add norms and buffers", async () => {
  await selectBackend("wasm");
  const plain = build(REFERENCE_CONV_MNIST);
  const config: ReferenceConvConfig = {
    ...REFERENCE_CONV_MNIST,
    generatorBatchNorm: true,
    discriminatorBatchNorm: true,
    discriminatorLogitBatchNorm: true,
  };
  const normed = build(config);
  // G: norms on 128 (dense, reshaped) + 128 + 128 channels; D: 64 + 64,
  // and 1 on the logit. γ and β are trained; mean and variance are buffers.
  const gExtra = 2 * (128 * 3);
  const dExtra = 2 * (64 + 64 + 1);
  assert.strictEqual(
    countParameters(normed.generator) - countParameters(plain.generator),
    gExtra,
  );
  assert.strictEqual(
    countParameters(normed.discriminator) -
      countParameters(plain.discriminator),
    dExtra,
  );
  assert.strictEqual(normed.generator.buffers.length, 6);
  assert.strictEqual(normed.discriminator.buffers.length, 6);
  assert.strictEqual(plain.discriminator.buffers.length, 0);
  // Batch statistics mix rows: such a D must see real and fake apart.
  assert.strictEqual(plain.discriminator.rowIndependent, true);
  assert.strictEqual(normed.discriminator.rowIndependent, false);

  // A normalised logit has zero mean and unit variance over the batch.
  const { logits } = await run(normed, { batch: 8, training: true });
  const mean = logits.reduce((s, v) => s + v, 0) / logits.length;
  const variance = logits.reduce((s, v) => s + (v - mean) ** 2, 0) /
    logits.length;
  assert.ok(Math.abs(mean) < 1e-4, `logit mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 1e-2, `logit variance ${variance}`);
  dispose(plain);
  dispose(normed);
});

Deno.test("reference-conv dropout acts in training only", async () => {
  await selectBackend("wasm");
  const pair = build(REFERENCE_CONV_CIFAR10, CIFAR);
  const evalA = await run(pair, { batch: 4, training: false, seed: 1 });
  const evalB = await run(pair, { batch: 4, training: false, seed: 2 });
  const trainA = await run(pair, { batch: 4, training: true, seed: 1 });
  const trainB = await run(pair, { batch: 4, training: true, seed: 2 });
  const diff = (a: Float32Array, b: Float32Array) =>
    a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  assert.strictEqual(diff(evalA.logits, evalB.logits), 0);
  assert.ok(
    diff(trainA.logits, trainB.logits) > 0,
    "two dropout seeds gave identical logits",
  );
  dispose(pair);
});

Deno.test("reference models leak no tensors and are seeded", async () => {
  await selectBackend("wasm");
  const bn: ReferenceConvConfig = {
    ...REFERENCE_CONV_MNIST,
    generatorBatchNorm: true,
    discriminatorBatchNorm: true,
  };
  for (const config of [REFERENCE_CONV_MNIST, bn, MLP]) {
    const empty = tf.memory().numTensors;
    const a = build(config, MNIST, 3);
    const b = build(config, MNIST, 3);
    const built = tf.memory().numTensors;
    const ra = await run(a, { batch: 2, training: true });
    assert.strictEqual(tf.memory().numTensors, built, `${config.kind} apply`);
    const rb = await run(b, { batch: 2, training: true });
    assert.deepStrictEqual(ra.images, rb.images);
    dispose(a);
    dispose(b);
    assert.strictEqual(tf.memory().numTensors, empty, `${config.kind} dispose`);
  }
});

Deno.test("buildModels() refuses an image G cannot reach by doubling", () => {
  assert.throws(
    () => build(REFERENCE_CONV_CIFAR10, { height: 28, width: 28, channels: 3 }),
    (e: Error) =>
      e instanceof UserError && /divisible by 8; got 28×28/.test(e.message),
  );
});

Deno.test("validateModel() accepts the reference configs", () => {
  for (const config of [REFERENCE_CONV_MNIST, REFERENCE_CONV_CIFAR10, MLP]) {
    validateModel(config);
  }
});

Deno.test("validateModel() names the bad field and value", () => {
  const bad: [ModelConfig, RegExp][] = [
    [{ ...REFERENCE_CONV_MNIST, kernel: 0 }, /model\.kernel .* got 0/],
    [
      { ...REFERENCE_CONV_MNIST, generatorChannels: ["x"] as never },
      /model\.generatorChannels .* got \["x"\]/,
    ],
    [{ ...REFERENCE_CONV_MNIST, dropoutKeep: 0 }, /model\.dropoutKeep/],
    [{ ...REFERENCE_CONV_MNIST, leak: -1 }, /model\.leak/],
    [
      { ...MLP, logitActivation: "relu" as never },
      /model\.logitActivation must be one of linear\|leaky-relu; got "relu"/,
    ],
    [{ ...MLP, noiseDim: 1.5 }, /model\.noiseDim/],
  ];
  for (const [config, pattern] of bad) {
    assert.throws(
      () => validateModel(config),
      (e: Error) => e instanceof UserError && pattern.test(e.message),
      `expected ${pattern} for ${JSON.stringify(config)}`,
    );
  }
});
