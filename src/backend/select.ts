/**
 * Backend selection shared by every task: `auto`, `webgpu`, `wasm` or `cpu`.
 *
 * `auto` takes WebGPU only on a hardware adapter. A software fallback such as
 * llvmpipe is about 30 times slower than the wasm backend for training, so
 * `auto` takes wasm there and says why.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { probeAdapter, registerWebgpuBackend } from "./webgpu_factory.ts";
import { startWasmThreads } from "./wasm_threads.ts";
import { installWasmKernels } from "./wasm_kernels.ts";
import { UserError } from "../cli/errors.ts";

/** A backend a user may ask for. */
export type BackendRequest = "auto" | "webgpu" | "wasm" | "cpu";

/** The backends webgan can run on. */
export type BackendName = "webgpu" | "wasm" | "cpu";

/** Every accepted `--backend` value. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = [
  "auto",
  "webgpu",
  "wasm",
  "cpu",
];

/** What was chosen and why, for run headers and `config.json`. */
export interface BackendInfo {
  /** The active tfjs backend. */
  name: BackendName;
  /** What the user asked for. */
  requested: BackendRequest;
  /** Why this backend was chosen, in a few words. */
  reason: string;
  /** The WebGPU adapter, when one was found (even if it was not used). */
  adapter?: string;
  /** Whether that adapter is a software fallback. */
  fallbackAdapter?: boolean;
  /** Threads the wasm backend computes with. */
  threads?: number;
}

/** Options for {@linkcode selectBackend}. */
export interface SelectOptions {
  /**
   * Threads for the wasm backend. More than one starts tfjs's threaded
   * build through `./wasm_threads.ts`; it only applies when wasm is the
   * first backend started in the process. @default {1}
   */
  threads?: number;
}

/**
 * Activate the requested backend and report the choice.
 *
 * @param requested What the user asked for.
 * @returns The backend now active in tfjs, with the reason.
 * @throws {UserError} When `webgpu` is asked for and no adapter exists.
 */
export async function selectBackend(
  requested: BackendRequest,
  options: SelectOptions = {},
): Promise<BackendInfo> {
  const wantsGpu = requested === "auto" || requested === "webgpu";
  const probe = wantsGpu ? await probeAdapter() : undefined;
  const adapterFields = probe
    ? {
      adapter: probe.summary.description,
      fallbackAdapter: probe.summary.isFallback,
    }
    : {};

  let name: BackendName;
  let reason: string;
  if (requested === "webgpu") {
    if (!probe) {
      throw new UserError(
        "--backend webgpu was requested but navigator.gpu offers no adapter",
      );
    }
    name = "webgpu";
    reason = "requested";
  } else if (requested === "auto") {
    if (probe && !probe.summary.isFallback) {
      name = "webgpu";
      reason = "auto: hardware WebGPU adapter found";
    } else {
      name = "wasm";
      reason = probe
        ? "auto: the only WebGPU adapter is a software fallback, slower than wasm"
        : "auto: no WebGPU adapter";
    }
  } else {
    name = requested;
    reason = "requested";
  }

  if (name === "webgpu" && probe) registerWebgpuBackend(probe.adapter);
  let threads: number | undefined;
  if (name === "wasm") {
    threads = await startWasmThreads({ threads: options.threads ?? 1 });
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new UserError(`the ${name} backend failed to initialise`);
  await tf.ready();
  if (name === "wasm") {
    await installWasmKernels(threads!);
  }
  return { name, requested, reason, ...adapterFields, threads };
}

/**
 * Parse a `--backend` value.
 *
 * @throws {UserError} Naming the bad value and the accepted ones.
 */
export function parseBackend(value: string): BackendRequest {
  if ((BACKEND_REQUESTS as readonly string[]).includes(value)) {
    return value as BackendRequest;
  }
  throw new UserError(
    `--backend must be one of ${BACKEND_REQUESTS.join(", ")}; got "${value}"`,
  );
}
