/**
 * Two lines the Temporal SDK prints on every start that tell a darkroom user nothing:
 *
 * - "No workflows registered, not polling for workflow tasks" (WARN), once per GPU worker. GPU
 *   workers run activities only, by design (their queue `comfy.<name>` never carries workflow
 *   tasks), and the SDK has no option to declare a worker activity-only. It goes through the
 *   Runtime's logger, so the logger installed here drops exactly that message from a worker.
 * - "v8.promiseHooks.createHook is not available; stack trace collection will be disabled." Bun
 *   has no v8.promiseHooks; the SDK then loses only the optional stack traces of pending workflow
 *   promises (the Web UI's "stack trace" query). The SDK writes it with console.warn from the
 *   workflow thread, whose console output reaches this process through process.stderr, so that
 *   one known line is filtered there (and from console.warn, for an in-thread executor).
 *
 * Everything else, including every other warning, passes through unchanged.
 */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from "@temporalio/worker";

const NO_WORKFLOWS = "No workflows registered, not polling for workflow tasks";
const PROMISE_HOOKS = "v8.promiseHooks.createHook is not available; stack trace collection will be disabled.";

let installed = false;

export function quietTemporalSdk() {
  if (installed) return;
  installed = true;

  // Same level and forwarding as the composition root would install; it keeps an installed Runtime.
  const level = (process.env.LOG_LEVEL?.toUpperCase() ?? "WARN") as LogLevel;
  const base = new DefaultLogger(level);
  const logger = new DefaultLogger(level, (entry: LogEntry) => {
    if (entry.message === NO_WORKFLOWS && entry.meta?.sdkComponent === "worker") return;
    base.log(entry.level, entry.message, entry.meta);
  });
  try {
    Runtime.install({ logger, telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } } });
  } catch {
    // A Runtime already exists (an embedding process installed its own): leave it.
  }

  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean;
  (process.stderr as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
    if (String(chunk).trim() === PROMISE_HOOKS) {
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }
    return write(chunk, ...rest);
  };
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (args.length === 1 && args[0] === PROMISE_HOOKS) return;
    warn(...args);
  };
}
