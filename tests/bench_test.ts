import assert from "node:assert/strict";

Deno.test("bench --json prints one object per backend with the required fields", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "tasks/bench.ts",
      "--json",
      "--backend",
      "wasm",
      "--steps",
      "2",
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.equal(lines.length, 1, lines.join("\n"));
  const row = JSON.parse(lines[0]);
  assert.equal(row.backend, "wasm");
  assert.equal(row.model, "paper-mnist");
  assert.ok(row.ms_per_step > 0, `ms_per_step = ${row.ms_per_step}`);
  // The FLOP count of the paper's step, from its layer shapes: about 4 GFLOP.
  assert.ok(
    row.gflop_per_step > 3 && row.gflop_per_step < 5,
    `gflop_per_step = ${row.gflop_per_step}`,
  );
  assert.equal(row.tensors_after, row.tensors_before, "a step leaked tensors");
});

Deno.test("bench rejects an unknown model in one line", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/bench.ts", "--model", "nope"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.notEqual(out.code, 0);
  assert.equal(err.split("\n").length, 1, err);
  assert.match(err, /unknown preset "nope"/);
});
