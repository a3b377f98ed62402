/**
 * Every setting darkroom reads from the environment, parsed once and typed.
 * Names and defaults are part of the public contract (README): change with care.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseLogLevel, type LogLevel } from "./log";

export interface ComfyInstance {
  /** Short name, e.g. "gpu0"; its Temporal task queue is `comfy.<name>`. */
  name: string;
  url: string;
  /** How many prompts this instance's worker keeps in flight (ComfyUI itself runs one at a time). */
  concurrency: number;
}

export interface LlmSettings {
  baseUrl: string;
  apiKey?: string;
  model: string;
}

/**
 * Where finished images are kept. `local`: a folder (the default, `<data dir>/images`). `s3`: a bucket
 * on any S3-compatible service, so API and worker processes on different machines share images.
 */
export type StorageSettings =
  | { kind: "local"; dir: string }
  | {
      kind: "s3";
      bucket: string;
      /** Folder inside the bucket (no leading or trailing slash); "" for the bucket's root. */
      prefix: string;
      /** Unset means AWS S3 itself; set for MinIO, SeaweedFS, R2, etc. */
      endpoint?: string;
      region: string;
      /** Both unset: the AWS SDK's default chain (instance roles, web identity, ~/.aws, …). */
      accessKeyId?: string;
      secretAccessKey?: string;
      sessionToken?: string;
      /** `bucket` in the path rather than the host name; what most S3-compatible servers need. */
      forcePathStyle: boolean;
      /** Serve images by redirecting to a presigned bucket URL instead of streaming them through the API. */
      presign: boolean;
      presignExpiresS: number;
    };

export interface Config {
  port: number;
  /** Base URL clients use to reach the API (for image URLs). */
  publicUrl: string;
  /** The largest request body the API reads (a reply with its persona is a few KB). */
  maxBodyBytes: number;
  dataDir: string;
  storage: StorageSettings;
  /** `tenant:key` pairs seeded at start. */
  apiKeys: Array<{ tenant: string; key: string }>;
  /** Secret for signed image URLs; derived from the data dir's secret file when unset. */
  urlSigningSecret?: string;
  databaseUrl?: string;
  temporal: {
    /** host:port of an existing Temporal frontend; unset means "start the embedded dev server". */
    address?: string;
    namespace: string;
    cliPath?: string;
    /** The main worker's queue: workflows and general activities. */
    taskQueue: string;
    uiPort: number;
    /** Create darkroom's missing search attributes at start (servers that refuse leave /readyz at 503). */
    registerSearchAttributes: boolean;
    /** TLS to the frontend: off, the system's CAs (`true`), or the files' contents. */
    tls?: TemporalTls;
    /**
     * How many workflows the main worker keeps in memory between their steps. A waiting photo costs
     * about 0.2 MB there; one evicted is replayed from its (short) history when its next step comes.
     */
    maxCachedWorkflows: number;
    /** Temporal Cloud API key (implies TLS). */
    apiKey?: string;
  };
  comfy: {
    /** Configured instances; empty means the dev command starts the simulator. */
    instances: ComfyInstance[];
    defaultTemplate?: string;
    /** How long a job may wait for its instance's worker to pick it up before failing over. */
    pickupTimeoutMs: number;
    /** A GPU job whose worker stops heartbeating for this long is retried (and re-attached). */
    heartbeatTimeoutMs: number;
    /** What placement assumes a checkpoint swap costs and how many checkpoints an instance keeps loaded. */
    models: { swapMs: number; modelsInVram: number };
    /** Live previews while sampling: on/off, and the least time between two of one generation. */
    previews: { enabled: boolean; intervalMs: number };
  };
  /** The built-in ComfyUI simulator; `host` is 0.0.0.0 inside containers. */
  /** The built-in ComfyUI simulator; `host` is 0.0.0.0 inside containers; `jobsApi` imitates builds with the job API. */
  simulator: { instances: number; steps?: number; stepMs: number; port: number; host: string; jobsApi: boolean; modelLoadMs: number; modelsInVram: number };
  horde: { url?: string; apiKey?: string };
  llm?: LlmSettings;
  /** The chat never waits on the LLM longer than this; templates answer instead. */
  llmBudgetMs: number;
  maxConcurrentGenerations: number;
  /**
   * The CPU niceness a worker role (main or GPU) gives its own process, 0–19: on a host that also
   * runs the API, the chat's replies get the CPU before image work does. 0 leaves it as started.
   */
  workerNiceness: number;
  /** Images per UTC day, for tenants without their own setting; undefined = no limit. */
  quotas: { userPerDay?: number; tenantPerDay?: number };
  generationTimeoutMs: number;
  image: { maxEdge: number; thumbEdge: number; quality: number };
  /** Chat-triggered persona images. */
  chatImages: {
    /** Folder of persona files (`<ID>.json`) and their ComfyUI templates. */
    personasDir: string;
    /** An image every `min`–`max` dialog messages, the interval drawn per trigger. */
    every: { min: number; max: number };
    /** A chat image not made by then ends in the persona's failure message. */
    timeoutMs: number;
  };
  telegram: { apiUrl: string; botToken?: string };
  webhooks: {
    /** Standard Webhooks signing secret (`whsec_<base64>`). */
    secret?: string;
    /** Lets webhook URLs point at loopback/private addresses (tests, on-premises receivers). */
    allowPrivate: boolean;
  };
  /** Retries of one Telegram or webhook delivery. */
  delivery: { maxAttempts: number; initialRetryMs: number; maxRetryMs: number };
  /** Angle series: providers in the order tried; AI Horde only counts when AI_HORDE_URL is set. */
  series: { providers: SeriesProvider[]; hordePollMs: number };
  /** /metrics: how often the API samples each instance's queue, and the window of the busy ratio. */
  metrics: { instanceSampleMs: number; busyWindowMs: number };
  /** The content policy on image prompts, checked before anything starts. */
  safety: {
    /** Every tenant's blocklist (SAFETY_BLOCKLIST), on top of each tenant's own entries. */
    blocklist: string[];
    moderation?: { baseUrl: string; apiKey?: string; model?: string; timeoutMs: number; fail: "open" | "closed" };
  };
  /** Live delivery: the safety poll of the event log behind LISTEN/NOTIFY (for a lost notification). */
  liveEvents: { safetyPollMs: number };
  /** `LOG_LEVEL`; unset means the role's default (info, or warn for `dev`). */
  logLevel?: LogLevel;
  /** OpenTelemetry traces over OTLP/HTTP; unset means no tracing at all. */
  otel?: OtelSettings;
}

/** The contents of the PEM files named by TEMPORAL_TLS_*; `true` is TLS with the system's CAs. */
export type TemporalTls =
  | true
  | {
      serverName?: string;
      /** The CA that signed the server's certificate (else the system's). */
      ca?: Buffer;
      /** mTLS: the client certificate and its key, always both. */
      clientCert?: { crt: Buffer; key: Buffer };
    };

export interface OtelSettings {
  /** The full traces URL (`<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`). */
  tracesUrl: string;
  protocol: "http/json" | "http/protobuf";
  headers: Record<string, string>;
  serviceName: string;
}

export type SeriesProvider = "comfyui" | "horde";

/** `SERIES_PROVIDERS=comfyui,horde`: the order in which an angle's providers are tried. */
export function parseSeriesProviders(raw: string | undefined): SeriesProvider[] {
  if (!raw?.trim()) return ["comfyui", "horde"];
  const names = raw.split(",").map((p) => p.trim().toLowerCase()).filter(Boolean);
  for (const name of names) {
    if (name !== "comfyui" && name !== "horde") throw new Error(`SERIES_PROVIDERS: unknown provider "${name}" (known: comfyui, horde)`);
  }
  return [...new Set(names)] as SeriesProvider[];
}

function int(env: Record<string, string | undefined>, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

/** A process niceness a process may give itself without privileges: 0 (as started) to 19 (the lowest priority). */
function niceness(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const n = int(env, name, fallback, 0);
  if (n > 19) throw new Error(`${name} must be an integer from 0 to 19, got "${env[name]}"`);
  return n;
}

/** A whole number >= 0, or undefined when unset (no limit). */
function optionalInt(env: Record<string, string | undefined>, name: string): number | undefined {
  return env[name] === undefined || env[name] === "" ? undefined : int(env, name, 0, 0);
}

/** `gpu0=http://host:8188,gpu1=http://host:8189` (optionally `gpu0=http://host:8188#4` for concurrency 4; default 2). */
export function parseComfyInstances(raw: string | undefined): ComfyInstance[] {
  if (!raw?.trim()) return [];
  return raw.split(",").map((entry) => {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new Error(`COMFYUI_INSTANCES entry "${entry}" must look like name=http://host:port`);
    const name = entry.slice(0, eq).trim();
    let url = entry.slice(eq + 1).trim();
    // One prompt running and one waiting in ComfyUI's own queue keeps the GPU busy between jobs;
    // more only moves work from Temporal's queue (ordered by tier and tenant fairness) into
    // ComfyUI's first-come-first-served one.
    let concurrency = 2;
    const hash = url.lastIndexOf("#");
    if (hash > 0) {
      concurrency = Number(url.slice(hash + 1));
      url = url.slice(0, hash);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`COMFYUI_INSTANCES: bad concurrency in "${entry}"`);
    }
    if (!/^[a-zA-Z0-9_-]{1,40}$/.test(name)) throw new Error(`COMFYUI_INSTANCES: instance name "${name}" may use letters, digits, - and _`);
    try {
      new URL(url);
    } catch {
      throw new Error(`COMFYUI_INSTANCES: "${url}" is not a URL`);
    }
    return { name, url: url.replace(/\/+$/, ""), concurrency };
  });
}

export function parseApiKeys(raw: string | undefined): Array<{ tenant: string; key: string }> {
  if (!raw?.trim()) return [];
  return raw.split(",").map((pair) => {
    const i = pair.indexOf(":");
    if (i <= 0 || i === pair.length - 1) throw new Error(`DARKROOM_API_KEYS entry must be tenant:key`);
    return { tenant: pair.slice(0, i).trim(), key: pair.slice(i + 1).trim() };
  });
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const port = int(env, "PORT", 3000);
  const dataDir = path.resolve(env.DARKROOM_DATA_DIR || ".darkroom");
  return {
    port,
    maxBodyBytes: int(env, "API_MAX_BODY_BYTES", 1024 * 1024, 1024),
    publicUrl: (env.DARKROOM_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, ""),
    dataDir,
    storage: parseStorage(env, dataDir),
    apiKeys: parseApiKeys(env.DARKROOM_API_KEYS),
    urlSigningSecret: env.DARKROOM_URL_SECRET || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: env.TEMPORAL_NAMESPACE || "default",
      cliPath: env.TEMPORAL_CLI_PATH || undefined,
      taskQueue: env.DARKROOM_TASK_QUEUE || "darkroom",
      uiPort: int(env, "TEMPORAL_UI_PORT", 8233),
      registerSearchAttributes: flag(env, "TEMPORAL_REGISTER_SEARCH_ATTRIBUTES", true),
      maxCachedWorkflows: int(env, "WORKER_MAX_CACHED_WORKFLOWS", 250, 1),
      ...parseTemporalSecurity(env),
    },
    comfy: {
      instances: parseComfyInstances(env.COMFYUI_INSTANCES),
      defaultTemplate: env.COMFYUI_DEFAULT_TEMPLATE || undefined,
      pickupTimeoutMs: int(env, "COMFYUI_PICKUP_TIMEOUT_MS", 30_000, 100),
      heartbeatTimeoutMs: int(env, "COMFYUI_HEARTBEAT_TIMEOUT_MS", 20_000, 500),
      models: { swapMs: int(env, "COMFYUI_MODEL_SWAP_MS", 2500), modelsInVram: int(env, "COMFYUI_MODELS_IN_VRAM", 1, 1) },
      previews: { enabled: flag(env, "COMFYUI_PREVIEWS", true), intervalMs: int(env, "COMFYUI_PREVIEW_INTERVAL_MS", 400, 50) },
    },
    simulator: {
      instances: int(env, "COMFYUI_SIM_INSTANCES", 2, 1),
      steps: env.COMFYUI_SIM_STEPS ? int(env, "COMFYUI_SIM_STEPS", 20, 1) : undefined,
      stepMs: int(env, "COMFYUI_SIM_STEP_MS", 150),
      modelLoadMs: int(env, "COMFYUI_SIM_MODEL_LOAD_MS", 0),
      modelsInVram: int(env, "COMFYUI_SIM_MODELS_IN_VRAM", 1, 1),
      port: int(env, "COMFYUI_SIM_PORT", 8188, 1),
      host: env.COMFYUI_SIM_HOST || "127.0.0.1",
      jobsApi: env.COMFYUI_SIM_JOBS_API === "1" || env.COMFYUI_SIM_JOBS_API === "true",
    },
    horde: { url: env.AI_HORDE_URL || undefined, apiKey: env.AI_HORDE_API_KEY || undefined },
    llm: env.LLM_BASE_URL
      ? { baseUrl: env.LLM_BASE_URL.replace(/\/+$/, ""), apiKey: env.LLM_API_KEY || undefined, model: env.LLM_MODEL || "gpt-4o-mini" }
      : undefined,
    llmBudgetMs: int(env, "LLM_BUDGET_MS", 1500, 1),
    maxConcurrentGenerations: int(env, "MAX_CONCURRENT_GENERATIONS", 2, 1),
    workerNiceness: niceness(env, "DARKROOM_WORKER_NICENESS", 19),
    quotas: { userPerDay: optionalInt(env, "DARKROOM_QUOTA_USER_DAY"), tenantPerDay: optionalInt(env, "DARKROOM_QUOTA_TENANT_DAY") },
    generationTimeoutMs: int(env, "GENERATION_TIMEOUT_MS", 10 * 60_000, 1000),
    image: {
      maxEdge: int(env, "IMAGE_MAX_EDGE", 1536, 64),
      thumbEdge: int(env, "IMAGE_THUMB_EDGE", 256, 16),
      quality: int(env, "IMAGE_WEBP_QUALITY", 86, 1),
    },
    chatImages: {
      personasDir: path.resolve(env.PERSONAS_DIR || fileURLToPath(new URL("../personas", import.meta.url))),
      every: parseInterval(env.DIALOG_IMAGE_EVERY),
      timeoutMs: int(env, "CHAT_IMAGE_TIMEOUT_MS", 120_000, 1000),
    },
    telegram: {
      apiUrl: (env.TELEGRAM_API_URL || "https://api.telegram.org").replace(/\/+$/, ""),
      botToken: env.TELEGRAM_BOT_TOKEN || undefined,
    },
    webhooks: { secret: env.WEBHOOK_SECRET || undefined, allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === "true" },
    delivery: {
      maxAttempts: int(env, "DELIVERY_MAX_ATTEMPTS", 10, 1),
      initialRetryMs: int(env, "DELIVERY_RETRY_INITIAL_MS", 1000, 10),
      maxRetryMs: int(env, "DELIVERY_RETRY_MAX_MS", 60_000, 10),
    },
    series: { providers: parseSeriesProviders(env.SERIES_PROVIDERS), hordePollMs: int(env, "AI_HORDE_POLL_MS", 2000, 10) },
    metrics: {
      instanceSampleMs: int(env, "METRICS_INSTANCE_SAMPLE_MS", 5000, 50),
      busyWindowMs: int(env, "METRICS_BUSY_WINDOW_MS", 60_000, 1000),
    },
    liveEvents: { safetyPollMs: int(env, "LIVE_EVENTS_SAFETY_POLL_MS", 1000, 10) },
    safety: {
      blocklist: parseBlocklistSetting(env.SAFETY_BLOCKLIST),
      moderation: env.MODERATION_BASE_URL
        ? {
            baseUrl: env.MODERATION_BASE_URL.replace(/\/+$/, ""),
            apiKey: env.MODERATION_API_KEY || undefined,
            model: env.MODERATION_MODEL || undefined,
            timeoutMs: int(env, "MODERATION_TIMEOUT_MS", 800, 1),
            fail: parseModerationFail(env.MODERATION_FAIL),
          }
        : undefined,
    },
    logLevel: env.LOG_LEVEL?.trim() ? parseLogLevel(env.LOG_LEVEL, "info") : undefined,
    otel: parseOtel(env),
  };
}

/**
 * `SAFETY_BLOCKLIST`: comma-separated entries (`gun, gore, /\\bkill(s|ing)?\\b/i`), or a JSON array
 * of strings when an entry itself needs a comma. Entries are validated where they are used.
 */
export function parseBlocklistSetting(raw: string | undefined): string[] {
  const text = raw?.trim();
  if (!text) return [];
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error("SAFETY_BLOCKLIST starts with [ but is not a JSON array of strings");
    }
    if (!Array.isArray(parsed) || parsed.some((e) => typeof e !== "string")) throw new Error("SAFETY_BLOCKLIST must be a JSON array of strings");
    return (parsed as string[]).map((e) => e.trim()).filter(Boolean);
  }
  return text.split(",").map((e) => e.trim()).filter(Boolean);
}

function parseModerationFail(raw: string | undefined): "open" | "closed" {
  const value = raw?.trim().toLowerCase() || "open";
  if (value !== "open" && value !== "closed") throw new Error(`MODERATION_FAIL must be open or closed, got "${raw}"`);
  return value;
}

/** A PEM file named by `name`, read now so a wrong path stops the start with the variable's name. */
function pemFile(env: Record<string, string | undefined>, name: string): Buffer | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a folder" : (error as Error).message;
    throw new Error(`${name}: cannot read "${file}" (${why})`);
  }
  if (!content.includes("-----BEGIN ")) throw new Error(`${name}: "${file}" is not a PEM file (no "-----BEGIN" line)`);
  return content;
}

/**
 * `TEMPORAL_TLS`, `TEMPORAL_TLS_CA`, `TEMPORAL_TLS_CERT` + `TEMPORAL_TLS_KEY` (mTLS),
 * `TEMPORAL_TLS_SERVER_NAME`, `TEMPORAL_API_KEY`. Any of the files, the server name or an API key
 * turns TLS on; `TEMPORAL_TLS=false` with any of them is a contradiction and refused.
 */
export function parseTemporalSecurity(env: Record<string, string | undefined>): { tls?: TemporalTls; apiKey?: string } {
  const ca = pemFile(env, "TEMPORAL_TLS_CA");
  const crt = pemFile(env, "TEMPORAL_TLS_CERT");
  const key = pemFile(env, "TEMPORAL_TLS_KEY");
  if (crt && !key) throw new Error("TEMPORAL_TLS_CERT is set but TEMPORAL_TLS_KEY is not: mTLS needs the client certificate's private key too");
  if (key && !crt) throw new Error("TEMPORAL_TLS_KEY is set but TEMPORAL_TLS_CERT is not: mTLS needs the client certificate too");
  const serverName = env.TEMPORAL_TLS_SERVER_NAME?.trim() || undefined;
  const apiKey = env.TEMPORAL_API_KEY?.trim() || undefined;
  const detailed = Boolean(ca || crt || serverName);
  const wanted = env.TEMPORAL_TLS?.trim() ? flag(env, "TEMPORAL_TLS", false) : undefined;
  if (wanted === false && (detailed || apiKey)) {
    const set = ["TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY"].filter((n) => env[n]?.trim());
    throw new Error(`TEMPORAL_TLS=false contradicts ${set.join(", ")}: these need TLS (unset TEMPORAL_TLS or set it to true)`);
  }
  const tls: TemporalTls | undefined = detailed ? { serverName, ca, clientCert: crt && key ? { crt, key } : undefined } : wanted || apiKey ? true : undefined;
  return { ...(tls ? { tls } : {}), ...(apiKey ? { apiKey } : {}) };
}

/**
 * OpenTelemetry's own variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`, the full
 * URL), `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the default, or `http/json`),
 * `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`; `OTEL_SDK_DISABLED=true` turns it off.
 */
export function parseOtel(env: Record<string, string | undefined>): OtelSettings | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if ((!traces && !base) || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const tracesUrl = traces || `${base!.replace(/\/+$/, "")}/v1/traces`;
  try {
    if (!/^https?:$/.test(new URL(tracesUrl).protocol)) throw new Error();
  } catch {
    throw new Error(`${traces ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT"} must be an http(s) URL such as http://collector:4318, got "${traces || base}"`);
  }
  const tracesProtocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim();
  const protocolName = tracesProtocol ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const protocol = tracesProtocol || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || "http/protobuf";
  if (protocol !== "http/json" && protocol !== "http/protobuf") {
    throw new Error(`${protocolName} must be http/protobuf or http/json (darkroom exports over OTLP/HTTP), got "${protocol}"`);
  }
  const headers: Record<string, string> = {};
  for (const raw of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const pair of raw?.split(",") ?? []) {
      const eq = pair.indexOf("=");
      if (!pair.trim()) continue;
      if (eq <= 0) throw new Error(`OTEL_EXPORTER_OTLP_HEADERS entries must look like name=value, got "${pair.trim()}"`);
      headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    }
  }
  return { tracesUrl, protocol, headers, serviceName: env.OTEL_SERVICE_NAME?.trim() || "darkroom" };
}

/** `DIALOG_IMAGE_EVERY`: `3-5` (an interval drawn per trigger) or `4` (always 4). */
export function parseInterval(raw: string | undefined): { min: number; max: number } {
  if (!raw?.trim()) return { min: 3, max: 5 };
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  const min = Number(m?.[1]);
  const max = m?.[2] === undefined ? min : Number(m[2]);
  if (!m || min < 1 || max < min) throw new Error(`DIALOG_IMAGE_EVERY must look like 3-5 (1 <= min <= max), got "${raw}"`);
  return { min, max };
}

function flag(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new Error(`${name} must be true or false (or 1/0), got "${env[name]}"`);
}

/**
 * `DARKROOM_STORAGE`: unset or `file:///abs/path` for a local folder, `s3://bucket/optional/prefix`
 * for a bucket. S3 settings use the names Bun's and most S3 tools' `S3_*` variables use, falling back
 * to the AWS ones (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, …) so an existing AWS environment just works.
 */
export function parseStorage(env: Record<string, string | undefined>, dataDir: string): StorageSettings {
  const raw = env.DARKROOM_STORAGE?.trim();
  if (!raw) return { kind: "local", dir: path.join(dataDir, "images") };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`DARKROOM_STORAGE must be s3://bucket[/prefix] or file:///path, got "${raw}"`);
  }
  if (url.protocol === "file:") {
    const dir = decodeURIComponent(url.pathname);
    if (!dir || dir === "/") throw new Error(`DARKROOM_STORAGE: "${raw}" names no folder (use file:///abs/path)`);
    return { kind: "local", dir: path.resolve(dir) };
  }
  if (url.protocol !== "s3:") throw new Error(`DARKROOM_STORAGE must start with s3:// or file://, got "${raw}"`);
  const bucket = url.hostname;
  // S3's bucket naming rules (lowercase, 3–63, no leading/trailing dot or dash): a bad name otherwise
  // fails later with a vague signature or DNS error.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(`DARKROOM_STORAGE: "${bucket}" is not a valid bucket name (3–63 lowercase letters, digits, . and -)`);
  }
  if (url.username || url.password || url.port || url.search || url.hash) {
    throw new Error(`DARKROOM_STORAGE: put credentials and the endpoint in S3_* variables, not in the URL ("${raw}")`);
  }
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  const endpoint = (env.S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT)?.trim().replace(/\/+$/, "") || undefined;
  if (endpoint && !/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new Error(`S3_ENDPOINT must be a URL such as http://127.0.0.1:8333, got "${endpoint}"`);
  }
  const accessKeyId = env.S3_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY || undefined;
  if (!accessKeyId !== !secretAccessKey) {
    throw new Error("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither to use the AWS default credential chain");
  }
  return {
    kind: "s3",
    bucket,
    prefix,
    endpoint,
    region: env.S3_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    accessKeyId,
    secretAccessKey,
    sessionToken: env.S3_SESSION_TOKEN || env.AWS_SESSION_TOKEN || undefined,
    forcePathStyle: flag(env, "S3_FORCE_PATH_STYLE", endpoint !== undefined),
    presign: flag(env, "S3_PRESIGN", false),
    // SigV4 presigned URLs are valid for at most 7 days.
    presignExpiresS: Math.min(int(env, "S3_PRESIGN_EXPIRES_S", 3600, 1), 7 * 24 * 3600),
  };
}
