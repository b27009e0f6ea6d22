import assert from "node:assert/strict";
import { parseFlags, readInt } from "../src/cli/args.ts";
import { UserError } from "../src/cli/errors.ts";

const FLAGS = { steps: { type: "string" }, json: { type: "boolean" } } as const;

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, String(err));
    assert.equal(err.message.split("\n").length, 1, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("parseFlags() reads known flags", () => {
  const v = parseFlags(["--steps", "12", "--json"], FLAGS);
  assert.equal(v.steps, "12");
  assert.equal(v.json, true);
});

Deno.test("parseFlags() names an unknown flag in one line", () => {
  rejects(() => parseFlags(["--stpes", "3"], FLAGS), /--stpes/);
});

Deno.test("parseFlags() refuses a stray argument", () => {
  rejects(() => parseFlags(["train"], FLAGS), /unexpected argument "train"/);
});

Deno.test("parseFlags() explains a value that starts with a dash", () => {
  rejects(() => parseFlags(["--steps", "-5"], FLAGS), /--steps=VALUE/);
});

Deno.test("readInt() accepts integers in range and names the flag otherwise", () => {
  assert.equal(readInt("steps", "40", { min: 0 }), 40);
  assert.equal(readInt("steps", undefined), undefined);
  rejects(
    () => readInt("steps", "4.5", { min: 0 }),
    /--steps must be an integer ≥ 0; got "4.5"/,
  );
  rejects(
    () => readInt("threads", "9", { min: 1, max: 8 }),
    /--threads must be an integer from 1 to 8; got "9"/,
  );
});
