/**
 * Logging for a darkroom process, set up once by the entry point: the pino logger (lib/log.ts) for
 * darkroom's own lines, and the same logger behind the Temporal SDK (its Runtime logger receives the
 * worker's, the workflows' — through the SDK's logger sink — the activities' and, forwarded, Rust
 * core's lines), so every line of a process has one format and goes through one secret scrubber.
 *
 * Two lines the SDK prints on every start tell a darkroom user nothing and are dropped:
 *
 * - "No workflows registered, not polling for workflow tasks" (WARN), once per GPU worker. GPU
 *   workers run activities only, by design (their queue `comfy.<name>` never carries workflow
 *   tasks), and the SDK has no option to declare a worker activity-only.
 * - "v8.promiseHooks.createHook is not available; stack trace collection will be disabled." Bun
 *   has no v8.promiseHooks; the SDK then loses only the optional stack traces of pending workflow
 *   promises (the Web UI's "stack trace" query). The SDK writes it with console.warn from the
 *   workflow thread, whose console output reaches this process through process.stderr, so that one
 *   known line is filtered there (and from console.warn, for an in-thread executor).
 */
import type { LogLevel as TemporalLogLevel, Logger as TemporalLogger, LogMetadata } from "@temporalio/worker";
import type { Config } from "../lib/config";
import { createLogger, generationIdOf, installLogger, log, registerSecrets, type LogLevel } from "../lib/log";

const NO_WORKFLOWS = "No workflows registered, not polling for workflow tasks";
const PROMISE_HOOKS = "v8.promiseHooks.createHook is not available; stack trace collection will be disabled.";

/** Every secret the configuration holds: none of them may ever appear in a log line. */
export function configuredSecrets(config: Config): Array<string | undefined> {
  const storage = config.storage.kind === "s3" ? config.storage : undefined;
  return [
    ...config.apiKeys.map((k) => k.key),
    config.urlSigningSecret,
    config.telegram.botToken,
    config.webhooks.secret,
    // The base64 part too: a library may log the decoded key's encoding without the prefix.
    config.webhooks.secret?.replace(/^whsec_/, ""),
    config.llm?.apiKey,
    config.horde.apiKey,
    storage?.accessKeyId,
    storage?.secretAccessKey,
    storage?.sessionToken,
    config.temporal.apiKey,
    ...(config.otel?.headers ? Object.values(config.otel.headers) : []),
    config.databaseUrl ? passwordOf(config.databaseUrl) : undefined,
  ];
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The process's logger for a role: JSON lines for production roles, readable lines for `dev`, at
 * `LOG_LEVEL` (default `info`; `warn` for `dev`, whose console belongs to its banner).
 */
export function setUpLogging(config: Config, role: "dev" | "api" | "worker" | "gpu-worker", opts: { defaultLevel?: LogLevel } = {}) {
  const level = config.logLevel ?? opts.defaultLevel ?? (role === "dev" ? "warn" : "info");
  registerSecrets(configuredSecrets(config));
  installLogger(createLogger({ level, format: role === "dev" ? "readable" : "json", base: { role } }));
  filterPromiseHooksWarning();
}

let runtimeInstalled = false;

/**
 * The Temporal SDK's Runtime with darkroom's logger behind it. Once per process, before the first
 * worker connection (worker roles only); the logger is looked up per line, so a later `setUpLogging` still applies.
 */
export async function installTemporalRuntime(level: LogLevel): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // Loaded here, not at the top: the worker SDK (its native core and bundler) costs an API process
  // about 90 MB of memory it never uses.
  const { Runtime } = await import("@temporalio/worker");
  // Core's DEBUG is gRPC and poller chatter; it joins only at `trace`.
  const core = level === "trace" ? "TRACE" : level === "debug" || level === "info" ? "INFO" : level === "silent" || level === "fatal" ? "ERROR" : (level.toUpperCase() as TemporalLogLevel);
  try {
    Runtime.install({ logger: temporalLogger(), telemetryOptions: { logging: { filter: { core, other: core }, forward: {} } } });
  } catch {
    // A Runtime already exists (an embedding process installed its own): leave it.
  }
  filterPromiseHooksWarning();
}

const PINO_LEVEL: Record<TemporalLogLevel, "trace" | "debug" | "info" | "warn" | "error"> = { TRACE: "trace", DEBUG: "debug", INFO: "info", WARN: "warn", ERROR: "error" };

/** The Temporal SDK's Logger interface on top of pino, with darkroom's ids derived from Temporal's. */
export function temporalLogger(): TemporalLogger {
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    if (message === NO_WORKFLOWS && meta?.sdkComponent === "worker") return;
    const fields: Record<string, unknown> = {};
    // The task token is a credential for completing the activity, and long: never logged.
    for (const [k, v] of Object.entries(meta ?? {})) if (k !== "taskToken") fields[k] = v;
    const workflowId = typeof fields.workflowId === "string" ? fields.workflowId : undefined;
    const generationId = generationIdOf(workflowId);
    if (generationId) fields.generationId = generationId;
    const queue = typeof fields.taskQueue === "string" ? /^comfy\.(.+)$/.exec(fields.taskQueue) : null;
    if (queue && !fields.instance) fields.instance = queue[1];
    if (fields.error instanceof Error) {
      fields.err = fields.error;
      delete fields.error;
    }
    log()[PINO_LEVEL[level] ?? "info"](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write("TRACE", m, meta),
    debug: (m, meta) => write("DEBUG", m, meta),
    info: (m, meta) => write("INFO", m, meta),
    warn: (m, meta) => write("WARN", m, meta),
    error: (m, meta) => write("ERROR", m, meta),
  };
}

let promiseHooksFiltered = false;

function filterPromiseHooksWarning() {
  if (promiseHooksFiltered) return;
  promiseHooksFiltered = true;
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
