/**
 * The production roles on a production stack: PostgreSQL, a Temporal server with PostgreSQL
 * persistence and SQL visibility (schema, config, namespace and search attributes set up by the
 * deploy scripts), and darkroom's API, main worker and GPU worker each as its own process. Photos
 * complete, and a GPU worker or the main worker killed with SIGKILL in the middle of a job loses
 * nothing: once the role is back, the photo completes, exactly once, with one run on the GPU.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../lib/temporal/devServer";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";
import { freshPostgresUrl } from "./support/postgres";
import { killAllRoles, spawnRole, type RoleProcess } from "./support/roles";
import { eventually } from "./support/stack";
import { startProductionTemporal, temporalServerBinaries, type ProductionTemporal } from "./support/temporalServer";

// Before the first test the server may still be building (CI builds it alongside the suite; a
// developer's machine builds it here once), then it is set up from scratch like a deploy.
setDefaultTimeout(1_500_000);

const KEY = `key-acme-prod-${Math.random().toString(36).slice(2)}-0123456789`;
const persona = { name: "Sofia", personality: "alegre", language: "es" };
let temporal: ProductionTemporal;
let sim: ComfySimulator;
let dataDir: string;
let env: Record<string, string>;
let gpuName: string;
let api: RoleProcess;
let mainWorker: RoleProcess;
let gpuWorker: RoleProcess;

beforeAll(async () => {
  temporal = await startProductionTemporal();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-prod-"));
  sim = await startComfySimulator({ instances: 1, stepMs: 5, steps: 10, outputDir: path.join(dataDir, "simulator") });
  const tag = Math.random().toString(36).slice(2, 8);
  gpuName = `p${tag}gpu0`;
  env = {
    DATABASE_URL: await freshPostgresUrl(),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    DARKROOM_DATA_DIR: path.join(dataDir, "data"),
    DARKROOM_API_KEYS: `acme:${KEY}`,
    DARKROOM_TASK_QUEUE: `darkroom-prod-${tag}`,
    COMFYUI_INSTANCES: `${gpuName}=${sim.instances[0]!.url}`,
    // A job whose worker died is noticed by its missed heartbeat: shorter than the default so the
    // test is quick, long enough that a worker merely slowed by a busy machine is not presumed dead.
    COMFYUI_HEARTBEAT_TIMEOUT_MS: "8000",
    IMAGE_MAX_EDGE: "512",
    LOG_LEVEL: "ERROR",
  };
  [api, mainWorker, gpuWorker] = await Promise.all([spawnRole(["api"], env, await freePort()), spawnRole(["worker"], env), spawnRole(["worker", "--gpu", gpuName], env)]);
});

afterAll(async () => {
  await killAllRoles();
  await sim?.stop();
  // Not left idling (and polling PostgreSQL) through the rest of the suite.
  await temporal?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function request(method: string, route: string, body?: unknown) {
  const res = await fetch(api.url + route, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function requestPhoto(user: string): Promise<string> {
  const res = await request("POST", "/v1/agents/sofia/replies", { userId: user, text: "[IMAGE: selfie en la playa]", persona });
  expect(res.status).toBe(200);
  return res.body.generations[0].id as string;
}

async function finished(id: string) {
  return eventually(
    async () => {
      const g = (await request("GET", `/v1/generations/${id}`)).body;
      return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
    },
    `generation ${id} to finish`,
    180_000,
  );
}

/** The generation's whole event stream (it ends after the final event): what a client is told. */
async function eventTypes(id: string): Promise<string[]> {
  const res = await fetch(`${api.url}/v1/generations/${id}/events`, { headers: { authorization: `Bearer ${KEY}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  return [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]!);
}

/** Waits until the prompt runs on the GPU (started, not finished); returns its run. */
async function runningOnGpu(before: number) {
  const inst = sim.instances[0]!;
  return eventually(async () => (inst.runs.length === before + 1 && !inst.runs[before]!.finishedAt ? inst.runs[before] : undefined), "the prompt to start on the GPU", 120_000);
}

describe("production roles on a production Temporal server (PostgreSQL persistence)", () => {
  test("the deploy's dynamic config has only keys and values this server version knows", async () => {
    const { server } = await temporalServerBinaries();
    const file = path.join(import.meta.dir, "../deploy/temporal/dynamicconfig/production-sql.yaml");
    const checked = spawnSync(server, ["validate-dynamic-config", file], { encoding: "utf8" });
    expect({ status: checked.status, output: checked.stdout + checked.stderr }).toEqual({ status: 0, output: `${file}\n` });
  });

  test("a photo completes through the API, main worker and GPU worker processes", async () => {
    const id = await requestPhoto("prod-1");
    const done = await finished(id);
    expect(done.status, JSON.stringify(done.error ?? done)).toBe("completed");
    expect(done.instance).toBe(gpuName);
    const image = await fetch(done.images[0].url);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/webp");
    expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });

  test("a GPU worker killed (SIGKILL) mid-job: after it restarts the photo completes, with one GPU run", async () => {
    const inst = sim.instances[0]!;
    inst.setStepMs(400);
    const [submitted, runs] = [inst.submitted.length, inst.runs.length];
    const id = await requestPhoto("prod-gpu-kill");
    await runningOnGpu(runs);
    await gpuWorker.kill();
    gpuWorker = await spawnRole(["worker", "--gpu", gpuName], env);
    const done = await finished(id);
    inst.setStepMs(5);
    expect(done.status, JSON.stringify(done.error ?? done)).toBe("completed");
    expect(inst.submitted.length - submitted).toBe(1);
    expect(inst.runs.slice(runs).map((r) => r.outcome)).toEqual(["success"]);
    expect(done.images).toHaveLength(1);
    expect((await eventTypes(id)).filter((t) => t === "image:completed")).toHaveLength(1);
  });

  test("the main worker killed (SIGKILL) mid-job: after it restarts the photo completes, with one GPU run", async () => {
    const inst = sim.instances[0]!;
    inst.setStepMs(300);
    const [submitted, runs] = [inst.submitted.length, inst.runs.length];
    const id = await requestPhoto("prod-main-kill");
    await runningOnGpu(runs);
    await mainWorker.kill();
    // The GPU job finishes while no main worker is there to take the result further.
    await eventually(async () => (inst.runs[runs]!.finishedAt ? true : undefined), "the GPU run to finish", 120_000);
    expect((await request("GET", `/v1/generations/${id}`)).body.status).not.toBe("completed");
    mainWorker = await spawnRole(["worker"], env);
    const done = await finished(id);
    inst.setStepMs(5);
    expect(done.status, JSON.stringify(done.error ?? done)).toBe("completed");
    expect(inst.submitted.length - submitted).toBe(1);
    expect(inst.runs.slice(runs).map((r) => r.outcome)).toEqual(["success"]);
    expect(done.images).toHaveLength(1);
    expect((await eventTypes(id)).filter((t) => t === "image:completed")).toHaveLength(1);
  });
});
