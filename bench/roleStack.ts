/**
 * The benchmarks that measure processes (bursts, scale) run darkroom as deployed: the API, the main
 * worker and GPU workers each in their own process, against a Temporal dev server, a fresh
 * PostgreSQL database and the ComfyUI simulator. Also the two things they do from outside: post a
 * chat reply, and hold many WebSockets open from another process.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../lib/temporal/devServer";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";
import { freshPostgresUrl } from "../test/support/postgres";
import { killAllRoles, spawnRole, type RoleProcess } from "../test/support/roles";
import { testTemporal } from "../test/support/temporal";

export interface RoleStack {
  api: RoleProcess;
  /** Every darkroom process by role name (`api`, `mainWorker`, `gpuWorker0`, …). */
  roles: Array<[string, RoleProcess]>;
  key: string;
  temporalAddress: string;
  databaseUrl: string;
  sim: ComfySimulator;
  stop(): Promise<void>;
}

export async function startRoleStack(opts: {
  stepMs: number;
  steps: number;
  env?: Record<string, string>;
  /** One GPU worker process per instance (as the compose file runs them), or one for both. */
  oneGpuProcess?: boolean;
}): Promise<RoleStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-bench-roles-"));
  const [temporal, databaseUrl] = await Promise.all([testTemporal(), freshPostgresUrl()]);
  const sim = await startComfySimulator({ instances: 2, stepMs: opts.stepMs, steps: opts.steps, outputDir: path.join(dir, "sim") });
  const tag = Math.random().toString(36).slice(2, 8);
  const key = `bench-key-${tag}-0123456789abcdef`;
  const names = sim.instances.map((_, i) => `b${tag}gpu${i}`);
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    DARKROOM_API_KEYS: `acme:${key}`,
    DARKROOM_TASK_QUEUE: `darkroom-bench-${tag}`,
    DARKROOM_DATA_DIR: path.join(dir, "data"),
    COMFYUI_INSTANCES: sim.instances.map((inst, i) => `${names[i]}=${inst.url}`).join(","),
    LOG_LEVEL: "error",
    ...opts.env,
  };
  const stop = async () => {
    await killAllRoles();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const api = await spawnRole(["api"], env, await freePort());
    const gpuProcesses = opts.oneGpuProcess ? [names.join(",")] : names;
    const [worker, ...gpus] = await Promise.all([spawnRole(["worker"], env), ...gpuProcesses.map((n) => spawnRole(["worker", "--gpu", n], env))]);
    const roles: Array<[string, RoleProcess]> = [["api", api], ["mainWorker", worker!], ...gpus.map((g, i): [string, RoleProcess] => [`gpuWorker${i}`, g])];
    return { api, roles, key, temporalAddress: temporal.address, databaseUrl, sim, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const PERSONA = { name: "Sofia", personality: "alegre", language: "es" };

/** One chat reply with an `[IMAGE: …]` tag: its round trip (ms) once the answer is read, and the photo's workflow. */
export async function sendReply(api: string, key: string, userId: string): Promise<{ ms: number; workflowId: string }> {
  const t = performance.now();
  const res = await fetch(`${api}/v1/agents/bench/replies`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ userId, text: "¡Dale! [IMAGE: selfie en la playa]", persona: PERSONA }),
  });
  const body = await res.text();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`reply answered ${res.status}: ${body}`);
  return { ms, workflowId: (JSON.parse(body) as { generations: Array<{ workflowId: string }> }).generations[0]!.workflowId };
}

/** One chat reply's round trip (ms). */
export async function postReply(api: string, key: string, userId: string): Promise<number> {
  return (await sendReply(api, key, userId)).ms;
}

/**
 * `count` authenticated WebSockets held open by another process (bench/socketHolder.ts), each
 * following one user (`user:<prefix>-<n>`), so only the server's side shows in its memory.
 * Resolves once all are subscribed; `release` closes them.
 */
export async function holdSockets(api: string, key: string, count: number, prefix?: string): Promise<{ release(): Promise<void> }> {
  const holder = Bun.spawn([process.execPath, path.join(import.meta.dir, "socketHolder.ts"), api, key, String(count), ...(prefix ? [prefix] : [])], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = holder.stdout.getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the socket holder exited early");
    out += new TextDecoder().decode(value);
  }
  return {
    async release() {
      holder.stdin.end();
      await holder.exited;
    },
  };
}
