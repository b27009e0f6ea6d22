/**
 * The optimal discriminator, made visible: a 1-D version of Figure 1 of
 * Goodfellow et al. 2014 (arXiv 1406.2661) that checks Proposition 1 and
 * Theorem 1 numerically.
 *
 * Paper symbols: x ~ p_data is the data, z ~ p_z = U(0, 1) the noise, G the
 * generator (held fixed here), D the discriminator, and
 *
 *   V(D, G) = E_x log D(x) + E_z log(1 − D(G(z))).
 *
 * Proposition 1: for fixed G the best D is D*(x) = p_data / (p_data + p_g).
 * Theorem 1's proof: C(G) = max_D V(D, G) = −log 4 + 2 · JSD(p_data ‖ p_g).
 *
 * Here p_data is a Gaussian and G(z) = a + s · log(z / (1 − z)) maps the
 * uniform noise onto a logistic law, a smooth p_g known in closed form.
 * A small MLP D (1 → 32 → 32 → 1) is trained with Adam against G until it
 * settles; its curve is compared with D* on a grid where both densities are
 * non-negligible, and its Monte Carlo value with C(G), the JSD coming from
 * numeric integration of the two known densities.
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import { jsDivergenceOfDensities } from "./divergence.ts";
import { renderLinePlot } from "../io/plot.ts";
import { Rng } from "../util/rng.ts";

/** The data law p_data: a Gaussian. */
export interface GaussianLaw {
  /** Mean. */
  mean: number;
  /** Standard deviation. */
  std: number;
}

/** The fixed generator G(z) = location + scale · log(z / (1 − z)). */
export interface LogisticGenerator {
  /** Where G sends z = ½. */
  location: number;
  /** Spread of the logistic law G induces (its std is scale · π / √3). */
  scale: number;
}

/** Options for {@linkcode runOptimalDiscriminatorExperiment}. */
export interface OptimalDiscriminatorOptions {
  /** p_data. @default {{ mean: 0.5, std: 0.5 }} */
  data?: GaussianLaw;
  /** G. @default {{ location: -0.4, scale: 0.3 }} */
  generator?: LogisticGenerator;
  /** Seed for D's initial weights and every sample drawn. @default {0} */
  seed?: number;
  /** Adam steps on D. @default {1500} */
  steps?: number;
  /** Data samples and noise samples per step (each). @default {256} */
  batchSize?: number;
  /**
   * Adam step size; it is divided by 10 for the last quarter of the steps,
   * so that D settles instead of jittering around D*. @default {0.01}
   */
  learningRate?: number;
  /** Units in each of D's two hidden layers. @default {32} */
  hidden?: number;
  /** Points on the returned grid. @default {201} */
  gridPoints?: number;
  /**
   * Samples of x and of z for the Monte Carlo estimate of V(D, G).
   * @default {200000}
   */
  monteCarloSamples?: number;
  /**
   * D is compared with D* only where both densities reach this share of
   * their peak. @default {0.05}
   */
  minRelativeDensity?: number;
  /** Called every 100 steps with (step, steps, −V on that batch). */
  onProgress?: (step: number, steps: number, loss: number) => void;
}

/** Curves and checks from {@linkcode runOptimalDiscriminatorExperiment}. */
export interface OptimalDiscriminatorResult {
  /** The grid. */
  x: number[];
  /** p_data on the grid. */
  pData: number[];
  /** p_g on the grid. */
  pG: number[];
  /** The trained D on the grid. */
  d: number[];
  /** D* = p_data / (p_data + p_g) on the grid. */
  dStar: number[];
  /** Whether each grid point took part in the D-versus-D* comparison. */
  compared: boolean[];
  /** max |D − D*| over the compared points. */
  maxAbsError: number;
  /** mean |D − D*| over the compared points. */
  meanAbsError: number;
  /** JSD(p_data ‖ p_g) by numeric integration, in nats. */
  jsd: number;
  /** C(G) = −log 4 + 2 · JSD, in nats. */
  optimalValue: number;
  /** V(D, G) of the trained D, by Monte Carlo, in nats. */
  trainedValue: number;
  /** V(D*, G) by Monte Carlo with the closed-form D*, in nats. */
  optimalValueMonteCarlo: number;
  /** The laws and training settings used. */
  settings: {
    data: GaussianLaw;
    generator: LogisticGenerator;
    seed: number;
    steps: number;
    batchSize: number;
    learningRate: number;
    hidden: number;
    monteCarloSamples: number;
  };
}

/** Density of N(mean, std²) at x. */
export function gaussianDensity(x: number, law: GaussianLaw): number {
  const u = (x - law.mean) / law.std;
  return Math.exp(-0.5 * u * u) / (law.std * Math.sqrt(2 * Math.PI));
}

/** Density at x of G(z) for z ~ U(0, 1): the logistic law. */
export function generatorDensity(x: number, g: LogisticGenerator): number {
  // Written with e^{−|u|} so that neither tail overflows.
  const e = Math.exp(-Math.abs((x - g.location) / g.scale));
  return e / (g.scale * (1 + e) ** 2);
}

/** G(z) = location + scale · log(z / (1 − z)). */
export function generate(z: number, g: LogisticGenerator): number {
  return g.location + g.scale * Math.log(z / (1 - z));
}

/**
 * Train D against a fixed G and compare it with the optimal D*.
 *
 * Runs on the active tfjs backend: 1500 small Adam steps, about 5 to 10
 * seconds on wasm on a 2-core machine.
 *
 * @returns The curves for a plot and the two checks: D ≈ D* and
 *   V(D, G) ≈ −log 4 + 2 · JSD.
 */
export async function runOptimalDiscriminatorExperiment(
  options: OptimalDiscriminatorOptions = {},
): Promise<OptimalDiscriminatorResult> {
  const {
    data = { mean: 0.5, std: 0.5 },
    generator = { location: -0.4, scale: 0.3 },
    seed = 0,
    steps = 1500,
    batchSize = 256,
    learningRate = 0.01,
    hidden = 32,
    gridPoints = 201,
    monteCarloSamples = 200_000,
    minRelativeDensity = 0.05,
    onProgress,
  } = options;
  const rng = new Rng(seed);
  const d = createDiscriminator(hidden, rng);
  try {
    await trainDiscriminator(d, rng, {
      data,
      generator,
      steps,
      batchSize,
      learningRate,
      onProgress,
    });

    // Known densities: the plot grid and a wide grid for the JSD integral.
    const jsd = jsdOfLaws(data, generator);
    const grid = plotGrid(data, generator, gridPoints);
    const pData = grid.map((x) => gaussianDensity(x, data));
    const pG = grid.map((x) => generatorDensity(x, generator));
    const dStar = grid.map((_, i) => pData[i] / (pData[i] + pG[i]));
    const dGrid = [...await evaluate(d, Float32Array.from(grid))];
    const peakData = Math.max(...pData);
    const peakG = Math.max(...pG);
    const compared = grid.map((_, i) =>
      pData[i] >= minRelativeDensity * peakData &&
      pG[i] >= minRelativeDensity * peakG
    );
    const errors = grid.map((_, i) => Math.abs(dGrid[i] - dStar[i]))
      .filter((_, i) => compared[i]);

    // V(D, G) by Monte Carlo, for the trained D and for D* itself.
    const xs = sampleData(rng, monteCarloSamples, data);
    const gs = sampleGenerator(rng, monteCarloSamples, generator);
    const trainedValue = meanLog(await evaluate(d, xs), false) +
      meanLog(await evaluate(d, gs), true);
    const optimal = (v: number) =>
      gaussianDensity(v, data) /
      (gaussianDensity(v, data) + generatorDensity(v, generator));
    const optimalValueMonteCarlo = meanLog(Array.from(xs, optimal), false) +
      meanLog(Array.from(gs, optimal), true);

    return {
      x: grid,
      pData,
      pG,
      d: dGrid,
      dStar,
      compared,
      maxAbsError: Math.max(...errors),
      meanAbsError: errors.reduce((s, e) => s + e, 0) / errors.length,
      jsd,
      optimalValue: -Math.log(4) + 2 * jsd,
      trainedValue,
      optimalValueMonteCarlo,
      settings: {
        data,
        generator,
        seed,
        steps,
        batchSize,
        learningRate,
        hidden,
        monteCarloSamples,
      },
    };
  } finally {
    for (const v of d) v.dispose();
  }
}

/**
 * Draw the experiment as the paper's Figure 1 does: p_data, p_g, the
 * trained D and the optimal D* over x, on one chart.
 *
 * @param result What {@linkcode runOptimalDiscriminatorExperiment} returned.
 * @returns The PNG file contents.
 */
export async function renderOptimalDiscriminatorPng(
  result: OptimalDiscriminatorResult,
): Promise<Uint8Array> {
  const { x } = result;
  const gap = Math.abs(result.trainedValue - result.optimalValue);
  const peak = Math.max(...result.pData, ...result.pG);
  const top = Math.max(1, Math.ceil(peak * 10) / 10);
  return await renderLinePlot([
    { name: "p_data(x)", x, y: result.pData },
    { name: "p_g(x)", x, y: result.pG },
    { name: "D(x), trained", x, y: result.d },
    {
      name: "D*(x) = p_data / (p_data + p_g)",
      x,
      y: result.dStar,
      dashed: true,
    },
  ], {
    title: `Optimal discriminator: max |D − D*| = ` +
      `${result.maxAbsError.toFixed(3)}, |V(D, G) − C(G)| = ${gap.toFixed(4)}`,
    xLabel: "x",
    yLabel: "density / D(x)",
    yRange: [0, top],
  });
}

/** D's weights: [w1, b1, w2, b2, w3, b3]. */
type Discriminator = tf.Variable[];

function createDiscriminator(hidden: number, rng: Rng): Discriminator {
  // Glorot-uniform weights from our own seeded stream, zero biases.
  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = rng.uniform(fanIn * fanOut, -limit, limit);
    return tf.tensor2d(w, [fanIn, fanOut]);
  };
  const initial = [
    glorot(1, hidden),
    tf.zeros([hidden]),
    glorot(hidden, hidden),
    tf.zeros([hidden]),
    glorot(hidden, 1),
    tf.zeros([1]),
  ];
  const vars = initial.map((t) => tf.variable(t));
  for (const t of initial) t.dispose();
  return vars;
}

/** D's logit for a column of inputs x: [n, 1] → [n, 1]. */
function logits(d: Discriminator, x: tf.Tensor2D): tf.Tensor2D {
  const [w1, b1, w2, b2, w3, b3] = d;
  const h1 = tf.elu(x.matMul(w1 as tf.Tensor2D).add(b1));
  const h2 = tf.elu(h1.matMul(w2 as tf.Tensor2D).add(b2));
  return h2.matMul(w3 as tf.Tensor2D).add(b3);
}

interface TrainOptions {
  data: GaussianLaw;
  generator: LogisticGenerator;
  steps: number;
  batchSize: number;
  learningRate: number;
  onProgress?: (step: number, steps: number, loss: number) => void;
}

/** Maximise V(D, G) over D's weights, G fixed: Adam on −V. */
async function trainDiscriminator(
  d: Discriminator,
  rng: Rng,
  options: TrainOptions,
): Promise<void> {
  const { data, generator, steps, batchSize, learningRate, onProgress } =
    options;
  const coarse = tf.train.adam(learningRate);
  const fine = tf.train.adam(learningRate / 10);
  const fineFrom = Math.floor(steps * 0.75);
  const signs = tf.tidy(() =>
    tf.concat([tf.fill([batchSize, 1], -1), tf.fill([batchSize, 1], 1)])
  );
  try {
    for (let step = 1; step <= steps; step++) {
      const xs = sampleData(rng, batchSize, data);
      const gs = sampleGenerator(rng, batchSize, generator);
      const optimizer = step > fineFrom ? fine : coarse;
      const report = onProgress && step % 100 === 0;
      const both = new Float32Array(2 * batchSize);
      both.set(xs);
      both.set(gs, batchSize);
      const loss = optimizer.minimize(
        () => {
          // −log D(x) = softplus(−l), −log(1 − D(G(z))) = softplus(l); one
          // pass over [x; G(z)] with signs [−1; +1] computes both means.
          const l = logits(d, tf.tensor2d(both, [2 * batchSize, 1]));
          return tf.softplus(l.mul(signs)).mean().mul(2);
        },
        Boolean(report),
        d,
      );
      if (loss) {
        onProgress?.(step, steps, (await loss.data())[0]);
        loss.dispose();
      }
    }
  } finally {
    signs.dispose();
    coarse.dispose();
    fine.dispose();
  }
}

/** D(x) for each x, in batches. */
async function evaluate(
  d: Discriminator,
  xs: Float32Array,
): Promise<Float32Array> {
  const out = new Float32Array(xs.length);
  const batch = 50_000;
  for (let start = 0; start < xs.length; start += batch) {
    const part = xs.subarray(start, Math.min(xs.length, start + batch));
    const y = tf.tidy(() =>
      tf.sigmoid(logits(d, tf.tensor2d(part, [part.length, 1])))
    );
    out.set(await y.data(), start);
    y.dispose();
  }
  return out;
}

/** Mean of log v, or of log(1 − v) when `complement` is set. */
function meanLog(values: ArrayLike<number>, complement: boolean): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    s += Math.log(complement ? 1 - values[i] : values[i]);
  }
  return s / values.length;
}

function sampleData(rng: Rng, n: number, law: GaussianLaw): Float32Array {
  return rng.normal(n).map((v) => law.mean + law.std * v);
}

function sampleGenerator(
  rng: Rng,
  n: number,
  g: LogisticGenerator,
): Float32Array {
  // z in (0, 1): 1 − U(0, 1) never hits 0, and U never hits 1.
  const z = rng.uniform(n, 0, 1).map((v) => v === 0 ? 0.5 : v);
  return z.map((v) => generate(v, g));
}

/** An even grid covering both laws out to where they fade. */
function plotGrid(
  data: GaussianLaw,
  g: LogisticGenerator,
  points: number,
): number[] {
  const gStd = (g.scale * Math.PI) / Math.sqrt(3);
  const lo = Math.min(data.mean - 3 * data.std, g.location - 3 * gStd);
  const hi = Math.max(data.mean + 3 * data.std, g.location + 3 * gStd);
  const step = (hi - lo) / (points - 1);
  return Array.from({ length: points }, (_, i) => lo + i * step);
}

/** JSD(p_data ‖ p_g) by the trapezoid rule on a wide, fine grid. */
function jsdOfLaws(data: GaussianLaw, g: LogisticGenerator): number {
  // The logistic tail decays as e^{−|u|}: 40 scales leave < 1e-17 outside.
  const lo = Math.min(data.mean - 12 * data.std, g.location - 40 * g.scale);
  const hi = Math.max(data.mean + 12 * data.std, g.location + 40 * g.scale);
  const n = 100_001;
  const step = (hi - lo) / (n - 1);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = lo + i * step;
    p[i] = gaussianDensity(x, data);
    q[i] = generatorDensity(x, g);
  }
  return jsDivergenceOfDensities(p, q, step);
}
