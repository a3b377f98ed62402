/**
 * darkroom's one logger (pino). Production roles write one JSON object per line on stdout; `dev`
 * writes short readable lines on stderr. Every line goes through the secret scrubber last, so an
 * API key, a bot token inside a Telegram URL, a webhook secret, a signed URL's signature or an S3
 * or Temporal credential never reaches a log, whichever path (message, field, error, URL) it took.
 *
 * Child loggers carry the ids a line is about: `generationId`, `workflowId`, `tenantId`, `instance`.
 */
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `LOG_LEVEL`, any case; unset gives `fallback`. */
export function parseLogLevel(raw: string | undefined, fallback: LogLevel): LogLevel {
  const value = raw?.trim().toLowerCase();
  if (!value) return fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  return value as LogLevel;
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** Exact values configured as secrets (keys, tokens, passwords): replaced wherever they appear. */
const knownSecrets = new Set<string>();
let knownSecretsPattern: RegExp | undefined;

/** Registers configured secret values; short ones (under 6 characters) would only garble logs. */
export function registerSecrets(values: Iterable<string | undefined>) {
  let added = false;
  for (const v of values) {
    if (v && v.length >= 6 && !knownSecrets.has(v)) {
      knownSecrets.add(v);
      added = true;
    }
  }
  if (added) {
    const escaped = [...knownSecrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
    knownSecretsPattern = new RegExp(escaped.join("|"), "g");
  }
}

const REDACTED = "[redacted]";

/**
 * Shapes of secrets darkroom handles, recognised even when not configured here (a key of another
 * deployment pasted into a request, a token in a URL an error message quotes).
 */
const SECRET_SHAPES: Array<[RegExp, string]> = [
  [/\bdk_[A-Za-z0-9_-]{8,}/g, `dk_${REDACTED}`],
  [/\bwhsec_[A-Za-z0-9+/=_-]+/g, `whsec_${REDACTED}`],
  [/(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  // Telegram Bot API URLs carry the token in the path: https://api.telegram.org/bot<token>/sendPhoto
  [/(\/bot)\d{3,}:[A-Za-z0-9_-]+/g, `$1${REDACTED}`],
  // Signed image URLs (sig=), WebSocket keys (token=), presigned S3 URLs (X-Amz-Signature and
  // friends), and generic api_key/access_token/password query parameters.
  [/([?&](?:sig|signature|token|access_token|api_key|apikey|key|password|secret|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"'#\\]+/gi, `$1${REDACTED}`],
  // user:password@ in URLs (database URLs in connection errors).
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s"'@\\]+:)[^@\s"'/\\]+@/gi, `$1${REDACTED}@`],
];

/*
 * The scrubber runs on finished JSON lines, where a quote inside a string is `\"`: no pattern may
 * swallow a backslash, or the line would stop being JSON.
 */

/** The text with every known secret and every secret-shaped token replaced. */
export function scrubSecrets(text: string): string {
  let out = knownSecretsPattern ? text.replace(knownSecretsPattern, REDACTED) : text;
  // Most lines hold nothing secret-shaped; one cheap look spares them the passes below.
  if (!MIGHT_HOLD_A_SHAPE.test(out)) return out;
  for (const [pattern, replacement] of SECRET_SHAPES) out = out.replace(pattern, replacement);
  return out;
}

/** Something every shape in SECRET_SHAPES contains. */
const MIGHT_HOLD_A_SHAPE = /dk_|whsec_|bearer|basic|\/bot|=|:\/\//i;

/** Fields that hold a secret whole, wherever they sit in a logged object. */
const REDACT_PATHS = [
  "authorization",
  "headers.authorization",
  "req.headers.authorization",
  "request.headers.authorization",
  "*.authorization",
  "apiKey",
  "*.apiKey",
  "botToken",
  "*.botToken",
  "secret",
  "*.secret",
  "secretAccessKey",
  "*.secretAccessKey",
  "sessionToken",
  "*.sessionToken",
  "password",
  "*.password",
  "token",
  "*.token",
];

// ---------------------------------------------------------------------------------------------
// Output

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/**
 * `dev`'s readable lines: `12:00:01 WARN  message  key=value …`, on stderr. A few lines of code
 * instead of pino-pretty and its dependencies: dev logs little (warnings and worse by default).
 */
export function readableDestination(write: (line: string) => void = (l) => process.stderr.write(l)): DestinationStream {
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        write(line);
        return;
      }
      const { level, time, msg, err, pid: _pid, hostname: _host, ...rest } = entry;
      const clock = new Date(typeof time === "number" ? time : Date.now()).toISOString().slice(11, 19);
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      const error = err && typeof err === "object" ? `\n    ${String((err as { stack?: string; message?: string }).stack ?? (err as { message?: string }).message).replace(/\n/g, "\n    ")}` : "";
      const label = typeof level === "number" ? (LEVEL_NAMES[level] ?? String(level)) : String(level).toUpperCase();
      write(`${clock} ${label.padEnd(5)} ${msg ?? ""}${fields ? `  ${fields}` : ""}${error}\n`);
    },
  };
}

export interface LoggerOptions {
  level: LogLevel;
  /** `json`: one object per line on stdout (production); `readable`: dev's short lines on stderr. */
  format: "json" | "readable";
  /** Fields on every line (`role`). */
  base?: Record<string, unknown>;
  /** Where lines go instead of stdout/stderr (tests). */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const destination =
    // Synchronous writes: a line is out before a crash or process.exit, and darkroom logs little.
    opts.format === "readable" ? readableDestination(opts.destination ? (l) => opts.destination!.write(l) : undefined) : (opts.destination ?? pino.destination({ fd: 1, sync: true }));
  return pino(
    {
      level: opts.level,
      base: { ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: "msg",
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      formatters: { level: (label) => ({ level: label }) },
      // The last step before a line is written: whatever slipped through a field is caught here.
      hooks: { streamWrite: scrubSecrets },
    },
    destination,
  );
}

// ---------------------------------------------------------------------------------------------
// The process's logger

/**
 * Until a role sets it up (and in tests that embed darkroom), warnings and worse as JSON, or
 * `LOG_LEVEL` when it is valid.
 */
let root: Logger = createLogger({ level: safeLevel(process.env.LOG_LEVEL), format: "json" });

function safeLevel(raw: string | undefined): LogLevel {
  try {
    return parseLogLevel(raw, "warn");
  } catch {
    return "warn";
  }
}

/** The process's logger; `installLogger` replaces it once the role and settings are known. */
export function log(): Logger {
  return root;
}

export function installLogger(logger: Logger) {
  root = logger;
}

/** The generation id inside a workflow id `darkroom/<kind>/<generationId>`. */
export function generationIdOf(workflowId: string | undefined): string | undefined {
  const m = workflowId ? /^darkroom\/[^/]+\/(.+)$/.exec(workflowId) : null;
  return m?.[1];
}

/** The one-line text of an unknown thrown value. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
