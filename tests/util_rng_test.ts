import assert from "node:assert/strict";
import { dropoutMask } from "../src/util/rng.ts";

Deno.test("dropoutMask() keeps about keep·n values, each equal to scale", () => {
  const n = 200_000;
  for (const keep of [0.5, 0.8, 0.05]) {
    const scale = 1 / keep;
    const mask = dropoutMask(n, 12345, { keep, scale });
    let kept = 0;
    for (const v of mask) {
      assert.ok(v === 0 || v === Math.fround(scale), `value ${v}`);
      if (v !== 0) kept++;
    }
    // Binomial: 6 standard deviations either side.
    const sd = Math.sqrt(n * keep * (1 - keep));
    assert.ok(
      Math.abs(kept - n * keep) < 6 * sd,
      `keep ${keep}: kept ${kept} of ${n}, expected ${n * keep} ± ${6 * sd}`,
    );
  }
});

Deno.test("dropoutMask() is a function of its seed", () => {
  const rates = { keep: 0.5, scale: 2 };
  const a = dropoutMask(1000, 7, rates);
  assert.deepEqual(dropoutMask(1000, 7, rates), a);
  const b = dropoutMask(1000, 8, rates);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  // Independent masks agree about half the time.
  assert.ok(same > 400 && same < 600, `${same} of 1000 positions agree`);
});

Deno.test("dropoutMask() keeps everything at keep 1 and nothing at keep 0", () => {
  assert.ok(dropoutMask(500, 1, { keep: 1, scale: 1 }).every((v) => v === 1));
  assert.ok(dropoutMask(500, 1, { keep: 0, scale: 3 }).every((v) => v === 0));
});

Deno.test("dropoutMask() has no correlation between neighbours", () => {
  const n = 100_000;
  const mask = dropoutMask(n, 99, { keep: 0.5, scale: 1 });
  let both = 0;
  for (let i = 1; i < n; i++) if (mask[i] && mask[i - 1]) both++;
  const expected = (n - 1) / 4;
  const sd = Math.sqrt((n - 1) * 0.25 * 0.75);
  assert.ok(
    Math.abs(both - expected) < 6 * sd,
    `${both} kept pairs, expected ${expected} ± ${6 * sd}`,
  );
});
