/**
 * Every setting darkroom reads from the environment, parsed once and typed.
 * Names and defaults are part of the public contract (README, CONTRACT): change with care.
 */
import path from "node:path";

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

export interface Config {
  port: number;
  /** Base URL clients use to reach the API (for image URLs). */
  publicUrl: string;
  dataDir: string;
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
  };
  comfy: {
    /** Configured instances; empty means the dev command starts the simulator. */
    instances: ComfyInstance[];
    defaultTemplate?: string;
    /** How long a job may wait for its instance's worker to pick it up before failing over. */
    pickupTimeoutMs: number;
    /** A GPU job whose worker stops heartbeating for this long is retried (and re-attached). */
    heartbeatTimeoutMs: number;
  };
  /** The built-in ComfyUI simulator; `host` is 0.0.0.0 inside containers. */
  simulator: { instances: number; steps?: number; stepMs: number; port: number; host: string };
  horde: { url?: string; apiKey?: string };
  llm?: LlmSettings;
  /** The chat never waits on the LLM longer than this; templates answer instead. */
  llmBudgetMs: number;
  maxConcurrentGenerations: number;
  generationTimeoutMs: number;
  image: { maxEdge: number; thumbEdge: number; quality: number };
}

function int(env: Record<string, string | undefined>, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

/** `gpu0=http://host:8188,gpu1=http://host:8189` (optionally `gpu0=http://host:8188#4` for concurrency 4). */
export function parseComfyInstances(raw: string | undefined): ComfyInstance[] {
  if (!raw?.trim()) return [];
  return raw.split(",").map((entry) => {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new Error(`COMFYUI_INSTANCES entry "${entry}" must look like name=http://host:port`);
    const name = entry.slice(0, eq).trim();
    let url = entry.slice(eq + 1).trim();
    let concurrency = 4;
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
    publicUrl: (env.DARKROOM_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, ""),
    dataDir,
    apiKeys: parseApiKeys(env.DARKROOM_API_KEYS),
    urlSigningSecret: env.DARKROOM_URL_SECRET || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: env.TEMPORAL_NAMESPACE || "default",
      cliPath: env.TEMPORAL_CLI_PATH || undefined,
      taskQueue: env.DARKROOM_TASK_QUEUE || "darkroom",
      uiPort: int(env, "TEMPORAL_UI_PORT", 8233),
    },
    comfy: {
      instances: parseComfyInstances(env.COMFYUI_INSTANCES),
      defaultTemplate: env.COMFYUI_DEFAULT_TEMPLATE || undefined,
      pickupTimeoutMs: int(env, "COMFYUI_PICKUP_TIMEOUT_MS", 30_000, 100),
      heartbeatTimeoutMs: int(env, "COMFYUI_HEARTBEAT_TIMEOUT_MS", 20_000, 500),
    },
    simulator: {
      instances: int(env, "COMFYUI_SIM_INSTANCES", 2, 1),
      steps: env.COMFYUI_SIM_STEPS ? int(env, "COMFYUI_SIM_STEPS", 20, 1) : undefined,
      stepMs: int(env, "COMFYUI_SIM_STEP_MS", 150),
      port: int(env, "COMFYUI_SIM_PORT", 8188, 1),
      host: env.COMFYUI_SIM_HOST || "127.0.0.1",
    },
    horde: { url: env.AI_HORDE_URL || undefined, apiKey: env.AI_HORDE_API_KEY || undefined },
    llm: env.LLM_BASE_URL
      ? { baseUrl: env.LLM_BASE_URL.replace(/\/+$/, ""), apiKey: env.LLM_API_KEY || undefined, model: env.LLM_MODEL || "gpt-4o-mini" }
      : undefined,
    llmBudgetMs: int(env, "LLM_BUDGET_MS", 1500, 1),
    maxConcurrentGenerations: int(env, "MAX_CONCURRENT_GENERATIONS", 2, 1),
    generationTimeoutMs: int(env, "GENERATION_TIMEOUT_MS", 10 * 60_000, 1000),
    image: {
      maxEdge: int(env, "IMAGE_MAX_EDGE", 1536, 64),
      thumbEdge: int(env, "IMAGE_THUMB_EDGE", 256, 16),
      quality: int(env, "IMAGE_WEBP_QUALITY", 86, 1),
    },
  };
}

export { comfyTaskQueue } from "./taskQueues";
