/**
 * Shuffled minibatches from a split, reproducible from a seed and resumable
 * from a saved state.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import { Rng, type RngState } from "../util/rng.ts";
import type { Split } from "./types.ts";

/** The JSON-serialisable position of a {@linkcode BatchSampler}. */
export interface SamplerState {
  /** Images per batch. */
  batchSize: number;
  /** Images in the split; a state only fits a split of this size. */
  count: number;
  /** Passes over the split completed. */
  epoch: number;
  /** Images of the current pass already drawn. */
  position: number;
  /** The generator state that shuffled the current pass. */
  epochRng: RngState;
}

/** Options for a {@linkcode BatchSampler}. */
export interface SamplerOptions {
  /** Images per batch. */
  batchSize: number;
  /** Seed of the shuffle; the same seed gives the same batches. */
  seed: number;
}

/**
 * Draws shuffled minibatches. Each pass over the split visits every image
 * once in a fresh random order; a batch that runs past the end of a pass
 * continues with the next one, so no image is dropped.
 *
 * @example
 * ```ts
 * const sampler = new BatchSampler(dataset.train, { batchSize: 100, seed: 1 });
 * const { images, labels } = sampler.next();
 * ```
 */
export class BatchSampler {
  #split: Split;
  #batchSize: number;
  #rng: Rng;
  #epochRng: RngState;
  #order: Uint32Array;
  #position = 0;
  #epoch = 0;

  /**
   * Start drawing from a split, shuffled by `seed`.
   *
   * @param split The images to draw from.
   * @param options Batch size and seed.
   * @throws {UserError} When the batch size is not a positive integer or
   *   the split is empty.
   */
  constructor(split: Split, options: SamplerOptions) {
    const { batchSize, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new UserError(
        `batch size ${batchSize} is invalid, expected a positive integer`,
      );
    }
    if (split.count < 1) {
      throw new UserError("cannot draw batches from an empty split");
    }
    this.#split = split;
    this.#batchSize = batchSize;
    this.#rng = new Rng(seed);
    this.#order = new Uint32Array(split.count);
    this.#epochRng = this.#shuffle();
  }

  /**
   * Continue exactly where a saved sampler stopped.
   *
   * @param split The same split the state was saved from.
   * @param state What {@linkcode BatchSampler.state} returned.
   * @throws {UserError} When the state does not fit the split.
   */
  static fromState(split: Split, state: SamplerState): BatchSampler {
    if (state.count !== split.count || state.position >= split.count) {
      throw new UserError(
        `sampler state for ${state.count} images (position ` +
          `${state.position}) does not fit a split of ${split.count}`,
      );
    }
    const sampler = new BatchSampler(split, {
      batchSize: state.batchSize,
      seed: 0,
    });
    sampler.#rng = Rng.fromState(state.epochRng);
    sampler.#epochRng = sampler.#shuffle();
    sampler.#position = state.position;
    sampler.#epoch = state.epoch;
    return sampler;
  }

  /** Start a pass: a fresh random order; returns the state that made it. */
  #shuffle(): RngState {
    const before = this.#rng.state();
    for (let i = 0; i < this.#order.length; i++) this.#order[i] = i;
    this.#rng.shuffle(this.#order);
    this.#position = 0;
    return before;
  }

  /** Passes over the split completed so far. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The next batch: `batchSize × pixels` images and their labels. */
  next(): { images: Float32Array; labels: Uint8Array } {
    const split = this.#split;
    const pixels = split.height * split.width * split.channels;
    const images = new Float32Array(this.#batchSize * pixels);
    const labels = new Uint8Array(this.#batchSize);
    for (let k = 0; k < this.#batchSize; k++) {
      const index = this.#order[this.#position++];
      images.set(
        split.images.subarray(index * pixels, (index + 1) * pixels),
        k * pixels,
      );
      labels[k] = split.labels[index];
      if (this.#position === split.count) {
        this.#epoch++;
        this.#epochRng = this.#shuffle();
      }
    }
    return { images, labels };
  }

  /** The state to save; {@linkcode BatchSampler.fromState} resumes it. */
  state(): SamplerState {
    return {
      batchSize: this.#batchSize,
      count: this.#split.count,
      epoch: this.#epoch,
      position: this.#position,
      epochRng: [...this.#epochRng] as RngState,
    };
  }
}
