/**
 * A WebGPU backend factory that works under Deno on real GPUs.
 *
 * The factory that tfjs-backend-webgpu 4.22 registers has two faults there:
 * it reads `adapter.info` only after `requestDevice()` (tfjs#8518), by which
 * time Deno has consumed the adapter, and it pushes an array, not a string,
 * into `requiredFeatures` for `bgra8unorm-storage`. This factory reads the
 * adapter info first and asks only for string features the adapter has.
 *
 * @module
 */
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { tf } from "./tf.ts";

/** What webgan learned about the WebGPU adapter it opened. */
export interface AdapterSummary {
  /** Human-readable adapter description, e.g. "llvmpipe (LLVM 15, 256 bits)". */
  description: string;
  /** Vendor string reported by the adapter. */
  vendor: string;
  /** True for software adapters such as llvmpipe. */
  isFallback: boolean;
}

/** Features tfjs uses when present; anything else is never requested. */
const WANTED_FEATURES: GPUFeatureName[] = [
  "timestamp-query",
  "bgra8unorm-storage",
];

/**
 * Ask `navigator.gpu` for a high-performance adapter and summarise it.
 *
 * @returns The adapter and its summary, or `undefined` when there is none.
 */
export async function probeAdapter(): Promise<
  { adapter: GPUAdapter; summary: AdapterSummary } | undefined
> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return undefined;
  quietWaylandProbe();
  const adapter = await gpu.requestAdapter({
    powerPreference: "high-performance",
  });
  if (!adapter) return undefined;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const summary: AdapterSummary = {
    description: info.description || info.device || "unknown adapter",
    vendor: info.vendor ?? "",
    isFallback: Boolean(info.isFallbackAdapter ?? legacy),
  };
  return { adapter, summary };
}

/**
 * Mesa's Vulkan loader looks for a Wayland display and prints an alarming
 * "XDG_RUNTIME_DIR is invalid" line when that variable is unset, as on
 * servers and in CI. Point it at the temp folder first, when we may.
 */
function quietWaylandProbe(): void {
  if (Deno.build.os !== "linux") return;
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) {
      Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
    }
  } catch {
    // No env permission: the probe still works, only more noisily.
  }
}

/**
 * Replace tfjs's `webgpu` backend factory with one that opens `adapter`.
 *
 * @param adapter An adapter from {@linkcode probeAdapter}.
 */
export function registerWebgpuBackend(adapter: GPUAdapter): void {
  const info = adapter.info;
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", async () => {
    const requiredFeatures = WANTED_FEATURES.filter((f) =>
      adapter.features.has(f)
    );
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension:
          limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup:
          limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new WebGPUBackend(device, info);
  }, 3);
}
