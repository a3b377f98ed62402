/**
 * A whole darkroom on real parts for integration tests: the Temporal dev server, a fresh PostgreSQL
 * database, the ComfyUI simulator, and the API + workers as in production, on random ports. Every
 * stack gets its own task queues and instance names, so stacks in one test process never mix.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig, type Config } from "../../lib/config";
import { openDatabase, type OpenedDatabase } from "../../lib/db";
import { start, type Running } from "../../cli/runtime";
import { freePort } from "../../lib/temporal/devServer";
import { startComfySimulator, type ComfySimulator } from "../../simulators/comfyui";
import { freshPostgresUrl } from "./postgres";
import { testTemporal } from "./temporal";
import { testSeaweedFs, type SeaweedFs } from "./seaweedfs";

export interface Stack {
  config: Config;
  /** The environment the stack's processes were configured with (for spawning more roles). */
  env: Record<string, string>;
  api: string;
  key: string;
  tenant: string;
  sim: ComfySimulator;
  running: Running;
  db: OpenedDatabase;
  /** Instance names in simulator order (instance i is sim.instances[i]). */
  instanceNames: string[];
  /** With `storage: "s3"`: the server, and the bucket and prefix images go to. */
  s3?: { server: SeaweedFs; bucket: string; prefix: string };
  request(method: string, route: string, body?: unknown, key?: string): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export interface StackOptions {
  instances?: number;
  stepMs?: number;
  steps?: number;
  env?: Record<string, string>;
  /** GPU workers to run in this process (default: all instances). */
  gpuWorkers?: string[];
  /** Run the main worker in this process (default true); false leaves it to a spawned process. */
  mainWorker?: boolean;
  /** Use the embedded PGlite database instead of PostgreSQL. */
  embeddedDb?: boolean;
  tenants?: Record<string, string>;
  /** Prompts each GPU worker hands its instance at once (`#N` in COMFYUI_INSTANCES). */
  instanceConcurrency?: number;
  /** Keep images in a bucket on a real S3-compatible server (SeaweedFS) instead of the data folder. */
  storage?: "local" | "s3";
  /** Another Temporal server or namespace than the shared test server's default one. */
  temporal?: { address: string; namespace?: string };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const temporal = opts.temporal ?? (await testTemporal());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-test-"));
  const sim = await startComfySimulator({
    instances: opts.instances ?? 2,
    stepMs: opts.stepMs ?? 5,
    steps: opts.steps ?? 4,
    outputDir: path.join(dataDir, "simulator"),
  });
  const tag = Math.random().toString(36).slice(2, 8);
  const instanceNames = sim.instances.map((_, i) => `t${tag}gpu${i}`);
  const tenants = opts.tenants ?? { acme: `key-acme-${tag}-0123456789` };
  const port = await freePort();
  const s3 = opts.storage === "s3" ? { server: await testSeaweedFs(), bucket: `darkroom-${tag}`, prefix: "images" } : undefined;
  const env: Record<string, string> = {
    PORT: String(port),
    DARKROOM_DATA_DIR: dataDir,
    DARKROOM_API_KEYS: Object.entries(tenants)
      .map(([t, k]) => `${t}:${k}`)
      .join(","),
    TEMPORAL_ADDRESS: temporal.address,
    DARKROOM_TASK_QUEUE: `darkroom-${tag}`,
    COMFYUI_INSTANCES: sim.instances.map((inst, i) => `${instanceNames[i]}=${inst.url}${opts.instanceConcurrency ? `#${opts.instanceConcurrency}` : ""}`).join(","),
    COMFYUI_PICKUP_TIMEOUT_MS: "3000",
    COMFYUI_HEARTBEAT_TIMEOUT_MS: "3000",
    IMAGE_MAX_EDGE: "512",
    ...(opts.embeddedDb ? {} : { DATABASE_URL: await freshPostgresUrl() }),
    ...(opts.temporal?.namespace ? { TEMPORAL_NAMESPACE: opts.temporal.namespace } : {}),
    ...(s3 ? s3.server.env(s3.bucket, s3.prefix) : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const running = await start(config, { api: true, worker: opts.mainWorker ?? true, gpu: opts.gpuWorkers ?? instanceNames }, { db });
  const api = `http://127.0.0.1:${port}`;
  const [tenant, key] = Object.entries(tenants)[0]!;
  let stopped = false;
  return {
    config,
    env,
    api,
    key,
    tenant,
    sim,
    running,
    db,
    instanceNames,
    s3,
    async request(method, route, body, useKey = key) {
      const res = await fetch(api + route, {
        method,
        headers: { authorization: `Bearer ${useKey}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
      await db.close();
      await sim.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined), or throws with the last observation. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
