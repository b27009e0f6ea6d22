/**
 * One HTTP download, streamed to a partial file that a later attempt can
 * resume with a `Range` request. Transient failures (no connection, a
 * timeout, a 5xx, a broken transfer) are retried with exponential backoff;
 * anything else (a 404, an HTML page where data was expected) fails at once.
 * The caller verifies the partial file and renames it into place.
 *
 * @module
 */
import { UserError } from "../cli/errors.ts";
import { GZIP_MAGIC } from "./gzip.ts";
import type { DataEvent } from "./types.ts";

/** Options for {@linkcode fetchFile}. */
export interface FetchFileOptions {
  /** Receives start, progress, retry and done events. @default {none} */
  onEvent?: (event: DataEvent) => void;
  /** Milliseconds without any bytes before giving up. @default {30000} */
  timeoutMs?: number;
  /** Extra attempts after a transient failure. @default {3} */
  retries?: number;
  /** Wait before the first retry, in ms; doubles each time. @default {1000} */
  retryDelayMs?: number;
  /** Check that the body starts with the gzip magic bytes. @default {false} */
  expectGzip?: boolean;
  /** Least time between progress events, in ms. @default {200} */
  progressEveryMs?: number;
}

/** What {@linkcode fetchFile} left in the partial file. */
export interface FetchedFile {
  /** Bytes in the partial file. */
  bytes: number;
  /** Whether the download continued an earlier partial file. */
  resumed: boolean;
}

/** A failure worth another attempt; its message is already for the user. */
class TransientError extends Error {}

/** Why an attempt was aborted. */
class IdleTimeout extends Error {}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

function describe(err: unknown): string {
  // fetch puts the reason (refused, DNS, TLS) in the cause.
  const texts = [err, (err as Error)?.cause].map((e) =>
    e instanceof Error ? e.message : String(e ?? "")
  );
  const all = texts.join(" ");
  if (/connection refused/i.test(all)) return "connection refused";
  if (/dns error|lookup address/i.test(all)) return "host not found";
  if (/connection reset/i.test(all)) return "connection reset";
  const detail = texts[1] || texts[0];
  return detail.split("\n")[0];
}

function looksLikeHtml(chunk: Uint8Array): boolean {
  const head = new TextDecoder().decode(chunk.subarray(0, 256)).trimStart();
  return /^<(!doctype html|html|head|body|\?xml|!--)/i.test(head);
}

/**
 * Download `url` into `partPath`, resuming what is already there.
 *
 * @param url The file's address.
 * @param partPath The partial file to write; its folder must exist.
 * @param options Timeouts, retries and the event callback.
 * @returns The size of the complete file.
 * @throws {UserError} Naming the URL and what was expected, once the retries
 *   are spent or at once for a permanent failure. A permanent failure
 *   removes the partial file; a transient one keeps it for a later resume.
 */
export async function fetchFile(
  url: string,
  partPath: string,
  options: FetchFileOptions = {},
): Promise<FetchedFile> {
  const { retries = 3, retryDelayMs = 1000, onEvent } = options;
  for (let attempt = 0;; attempt++) {
    try {
      return await attemptOnce(url, partPath, options);
    } catch (err) {
      if (!(err instanceof TransientError)) {
        // A permanent failure: what was received is not worth resuming.
        await Deno.remove(partPath).catch(() => {});
        throw err;
      }
      if (attempt >= retries) {
        throw new UserError(
          `${err.message} (gave up after ${attempt + 1} attempts)`,
        );
      }
      const delayMs = retryDelayMs * 2 ** attempt;
      onEvent?.({
        type: "retry",
        url,
        attempt: attempt + 1,
        delayMs,
        reason: err.message,
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** A timer that aborts a request when no bytes arrive for a while. */
class IdleTimer {
  readonly controller = new AbortController();
  #ms: number;
  #id: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.#ms = ms;
    this.poke();
  }

  /** Restart the countdown. */
  poke(): void {
    clearTimeout(this.#id);
    this.#id = setTimeout(
      () => this.controller.abort(new IdleTimeout()),
      this.#ms,
    );
  }

  /** Stop for good. */
  clear(): void {
    clearTimeout(this.#id);
  }

  get timedOut(): boolean {
    return this.controller.signal.reason instanceof IdleTimeout;
  }
}

/** One attempt at a download: where it goes and how far it had got. */
interface Attempt {
  url: string;
  partPath: string;
  /** Bytes already in the partial file when the attempt began. */
  have: number;
  timer: IdleTimer;
  options: FetchFileOptions;
}

async function attemptOnce(
  url: string,
  partPath: string,
  options: FetchFileOptions,
): Promise<FetchedFile> {
  const have = await fileSize(partPath);
  const timer = new IdleTimer(options.timeoutMs ?? 30000);
  const attempt: Attempt = { url, partPath, have, timer, options };
  try {
    const response = await request(attempt);
    const start = await startOffset(response, attempt);
    return await receive(response, { ...attempt, start });
  } finally {
    timer.clear();
  }
}

async function request(attempt: Attempt): Promise<Response> {
  const { url, have, timer, options } = attempt;
  const headers: HeadersInit = have > 0 ? { Range: `bytes=${have}-` } : {};
  try {
    return await fetch(url, { headers, signal: timer.controller.signal });
  } catch (err) {
    if (timer.timedOut) {
      const seconds = (options.timeoutMs ?? 30000) / 1000;
      throw new TransientError(
        `${url} did not answer within ${seconds} s (timeout)`,
      );
    }
    throw new TransientError(`cannot reach ${url} (${describe(err)})`);
  }
}

/** Check the status and decide where in the file this response starts. */
async function startOffset(
  response: Response,
  attempt: Attempt,
): Promise<number> {
  const { url, partPath, have } = attempt;
  const status = `HTTP ${response.status} ${response.statusText}`.trim();
  if (response.status === 416 && have > 0) {
    // The partial file is no prefix the server recognises: start over.
    await response.body?.cancel();
    await Deno.remove(partPath);
    throw new TransientError(`${url} refused to resume at byte ${have}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const transient = response.status >= 500 || response.status === 429 ||
      response.status === 408;
    const message = `${url} answered ${status}, expected 200 with the file`;
    throw transient ? new TransientError(message) : new UserError(message);
  }
  const type = response.headers.get("content-type") ?? "";
  if (/text\/html/i.test(type)) {
    await response.body?.cancel();
    throw new UserError(
      `${url} returned an HTML page (${type}) instead of data, expected ` +
        `the file itself`,
    );
  }
  if (response.status !== 206) return 0;
  const range = response.headers.get("content-range") ?? "";
  const from = Number(/^bytes (\d+)-/.exec(range)?.[1]);
  return from === have ? have : 0;
}

/** Stream the body into the partial file, reporting progress. */
async function receive(
  response: Response,
  attempt: Attempt & { start: number },
): Promise<FetchedFile> {
  const { url, partPath, start, timer, options } = attempt;
  const { onEvent, progressEveryMs = 200, timeoutMs = 30000 } = options;
  const length = Number(response.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(length) ? start + length : 0;
  onEvent?.({
    type: "download-start",
    url,
    path: partPath,
    totalBytes: total,
    resumeFrom: start,
  });

  using file = await Deno.open(partPath, {
    write: true,
    create: true,
    append: start > 0,
    truncate: start === 0,
  });
  const began = performance.now();
  let done = start;
  let lastEvent = 0;
  const progress = () => {
    const seconds = (performance.now() - began) / 1000;
    const rate = seconds > 0 ? (done - start) / seconds : 0;
    onEvent?.({
      type: "download-progress",
      url,
      bytes: done,
      totalBytes: total,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 && total > 0 ? (total - done) / rate : NaN,
    });
  };

  try {
    for await (const chunk of response.body ?? []) {
      timer.poke();
      if (done === 0) checkFirstChunk(chunk, attempt);
      let off = 0;
      while (off < chunk.length) off += await file.write(chunk.subarray(off));
      done += chunk.length;
      const now = performance.now();
      if (onEvent && now - lastEvent >= progressEveryMs) {
        lastEvent = now;
        progress();
      }
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    const why = timer.timedOut
      ? `no data for ${timeoutMs / 1000} s (timeout)`
      : describe(err);
    throw new TransientError(
      `download of ${url} broke after ${done} bytes (${why})`,
    );
  }
  if (total > 0 && done !== total) {
    throw new TransientError(
      `${url} ended after ${done} of ${total} bytes (truncated transfer)`,
    );
  }
  await file.syncData();
  progress();
  onEvent?.({ type: "download-done", url, bytes: done });
  return { bytes: done, resumed: start > 0 };
}

function checkFirstChunk(chunk: Uint8Array, attempt: Attempt): void {
  const { url, options } = attempt;
  if (looksLikeHtml(chunk)) {
    throw new UserError(
      `${url} returned an HTML page instead of data, expected the file itself`,
    );
  }
  if (
    options.expectGzip && chunk.length >= 2 &&
    (chunk[0] !== GZIP_MAGIC[0] || chunk[1] !== GZIP_MAGIC[1])
  ) {
    throw new UserError(
      `${url} does not start with the gzip magic bytes 1f 8b, expected a ` +
        `.gz file`,
    );
  }
}
