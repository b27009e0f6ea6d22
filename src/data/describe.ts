/**
 * One line of text for a {@linkcode DataEvent}, for tasks that print what
 * the data code is doing. Progress events have no line: render them with a
 * progress bar (tasks/_terminal.ts `Progress`, `bytes: true`).
 *
 * @module
 */
import type { DataEvent, FileStatus } from "./types.ts";

const STATUS_TEXT: Record<FileStatus, string> = {
  present: "already present",
  fetched: "fetched",
  repaired: "repaired",
};

/**
 * Describe an event in one line.
 *
 * @param event What the data code reported.
 * @returns The line, or `undefined` for progress events.
 */
export function describeDataEvent(event: DataEvent): string | undefined {
  switch (event.type) {
    case "present":
      return `${event.path}: verified copy already present`;
    case "invalid":
      return `invalid: ${event.reason}; fetching a good copy`;
    case "source":
      return `trying ${event.source}: ${event.origin}`;
    case "source-failed":
      return `  failed: ${event.reason}`;
    case "download-start":
      return event.resumeFrom > 0
        ? `  resuming ${event.url} at byte ${event.resumeFrom}`
        : undefined;
    case "retry":
      return `  retry ${event.attempt} in ${event.delayMs / 1000} s: ` +
        event.reason;
    case "verified":
      return `${event.path}: sha256 ${event.sha256} (${
        STATUS_TEXT[event.status]
      })`;
    default:
      return undefined;
  }
}

/** How a file's status reads in a summary line. */
export function describeStatus(status: FileStatus): string {
  return STATUS_TEXT[status];
}
