/**
 * Production starts every role at once (a deploy, a node coming back, an autoscaler): API and worker
 * processes with the same environment against a database nobody has set up yet. All of them must come
 * up — migrations, API keys and the URL-signing secret are set up by whoever gets there first, and
 * the others find them — and only the roles that use a thing set it up.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { start } from "../cli/runtime";
import { hashApiKey, registerApiKey } from "../lib/apiKeys";
import { loadConfig } from "../lib/config";
import { openDatabase } from "../lib/db";
import { createUrlSigner } from "../lib/signedUrls";
import { freePort, type DevServer } from "../lib/temporal/devServer";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";
import { freshDatabase, freshPostgresUrl } from "./support/postgres";
import { testTemporal } from "./support/temporal";

setDefaultTimeout(300_000);

const ROOT = path.resolve(import.meta.dir, "..");
const KEYS = { acme: "key-acme-startup-0123456789", globex: "key-globex-startup-0123456789" };
const children: ChildProcess[] = [];
const dirs: string[] = [];
let temporal: DevServer;
let sim: ComfySimulator;

beforeAll(async () => {
  temporal = await testTemporal();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-startup-sim-"));
  dirs.push(dir);
  sim = await startComfySimulator({ instances: 1, stepMs: 5, steps: 2, outputDir: dir });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await sim?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Started {
  role: string;
  pid: number;
  port?: number;
  output: () => string;
}

/** Spawns `darkroom <role>` and resolves once it says it is up; rejects with its output if it exits first. */
function spawnRole(role: string[], env: Record<string, string>, port?: number): Promise<Started> {
  const child = spawn(process.execPath, ["cli/darkroom.ts", ...role], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...(port ? { PORT: String(port), DARKROOM_PUBLIC_URL: `http://127.0.0.1:${port}` } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      if (/darkroom (API listening|worker polling|GPU worker for)/.test(output)) resolve({ role: role.join(" "), pid: child.pid!, port, output: () => output });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d) => (output += d));
    child.once("exit", (code, signal) => reject(new Error(`darkroom ${role.join(" ")} exited (${code ?? signal}) while starting:\n${output.slice(-4000)}`)));
  });
}

/** The distinct niceness values of a process's threads (the 19th field of each thread's stat). */
function threadNiceness(pid: number): number[] {
  const tasks = fs.readdirSync(`/proc/${pid}/task`);
  const values = tasks.map((tid) => Number(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]));
  return [...new Set(values)].sort((a, b) => a - b);
}

describe("every role started at the same instant on a fresh database", () => {
  for (const round of [1, 2, 3]) {
    test(`round ${round}: three APIs, the main worker and a GPU worker all come up`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-startup-"));
      dirs.push(dataDir);
      const tag = Math.random().toString(36).slice(2, 8);
      const env: Record<string, string> = {
        DATABASE_URL: await freshPostgresUrl(),
        TEMPORAL_ADDRESS: temporal.address,
        // One shared data folder, as on a shared volume: the URL secret is made there by one of them.
        DARKROOM_DATA_DIR: dataDir,
        DARKROOM_API_KEYS: Object.entries(KEYS).map(([t, k]) => `${t}:${k}`).join(","),
        DARKROOM_TASK_QUEUE: `darkroom-startup-${tag}`,
        COMFYUI_INSTANCES: `s${tag}gpu0=${sim.instances[0]!.url}`,
        LOG_LEVEL: "ERROR",
      };
      const ports = await Promise.all([freePort(), freePort(), freePort()]);
      const started = await Promise.all([
        ...ports.map((port) => spawnRole(["api"], env, port)),
        spawnRole(["worker"], env),
        spawnRole(["worker", "--gpu", `s${tag}gpu0`], env),
      ]);
      expect(started.map((s) => s.role).sort()).toEqual(["api", "api", "api", "worker", `worker --gpu s${tag}gpu0`].sort());
      // The workers yield the CPU to the APIs beside them (default niceness 19), every thread of them
      // (on Linux niceness is per thread); the APIs keep the niceness they were started with.
      const ours = os.getPriority(0);
      expect(started.map((s) => [s.role, threadNiceness(s.pid)])).toEqual(
        started.map((s) => [s.role, [s.role === "api" ? ours : Math.max(ours, 19)]]),
      );

      // Every API is ready, knows both tenants' keys, and signs image URLs with the one shared secret
      // (a signature made with the file's secret is accepted: 404 for an unknown image, not 401).
      const signer = createUrlSigner({ secret: fs.readFileSync(path.join(dataDir, "url-secret"), "utf8").trim(), publicUrl: "http://x" });
      const signedPath = new URL(signer.imageUrl("no-such-image")).pathname + new URL(signer.imageUrl("no-such-image")).search;
      for (const port of ports) {
        const base = `http://127.0.0.1:${port}`;
        const ready = await fetch(`${base}/readyz`);
        expect({ port, status: ready.status }).toEqual({ port, status: 200 });
        for (const key of Object.values(KEYS)) {
          const res = await fetch(`${base}/v1/instances`, { headers: { authorization: `Bearer ${key}` } });
          expect({ port, status: res.status }).toEqual({ port, status: 200 });
        }
        expect((await fetch(base + signedPath)).status).toBe(404);
      }
      const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir, migrate: false });
      try {
        expect((await db.prisma.tenant.findMany({ orderBy: { id: "asc" } })).map((t) => t.id)).toEqual(["acme", "globex"]);
        expect(await db.prisma.apiKey.count()).toBe(2);
      } finally {
        await db.close();
      }
      for (const c of children.splice(0)) c.kill("SIGKILL");
    });
  }
});

test("many registrations of the same keys at once leave one tenant and one key each", async () => {
  const db = await freshDatabase();
  try {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => registerApiKey(db.prisma, "acme", i % 2 ? KEYS.acme : "key-acme-second-0123456789")));
    expect(new Set(ids)).toEqual(new Set(["acme"]));
    expect(await db.prisma.tenant.count()).toBe(1);
    const keys = await db.prisma.apiKey.findMany();
    expect(keys.map((k) => k.keyHash).sort()).toEqual([hashApiKey(KEYS.acme), hashApiKey("key-acme-second-0123456789")].sort());
  } finally {
    await db.close();
  }
});

test("workers do not register API keys; only the API does", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-startup-worker-"));
  dirs.push(dataDir);
  const config = loadConfig({
    DATABASE_URL: await freshPostgresUrl(),
    TEMPORAL_ADDRESS: temporal.address,
    DARKROOM_DATA_DIR: dataDir,
    DARKROOM_API_KEYS: `acme:${KEYS.acme}`,
    DARKROOM_TASK_QUEUE: `darkroom-startup-${Math.random().toString(36).slice(2, 8)}`,
    COMFYUI_INSTANCES: `wgpu0=${sim.instances[0]!.url}`,
    PORT: String(await freePort()),
  });
  const worker = await start(config, { worker: true });
  try {
    expect(await worker.db.prisma.tenant.count()).toBe(0);
    expect(await worker.db.prisma.apiKey.count()).toBe(0);
  } finally {
    await worker.stop();
  }
});

test("a worker niceness outside 0–19 is refused at start, naming the setting", () => {
  const base = { DATABASE_URL: "postgres://x/y", TEMPORAL_ADDRESS: "127.0.0.1:7233" };
  expect(loadConfig({ ...base }).workerNiceness).toBe(19);
  expect(loadConfig({ ...base, DARKROOM_WORKER_NICENESS: "0" }).workerNiceness).toBe(0);
  expect(() => loadConfig({ ...base, DARKROOM_WORKER_NICENESS: "20" })).toThrow(/DARKROOM_WORKER_NICENESS must be an integer from 0 to 19/);
  expect(() => loadConfig({ ...base, DARKROOM_WORKER_NICENESS: "-5" })).toThrow(/DARKROOM_WORKER_NICENESS/);
});
