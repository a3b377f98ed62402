/**
 * darkroom at scale, every role in its own process as deployed: 10,000 generations of 10,000 users
 * waiting on a slow GPU pool (two instances whose prompts take minutes, so nearly all of them wait
 * in Temporal's queues), 10,000 WebSockets open, each following one of those users. Reports the
 * resident memory of the API, the main worker and the GPU workers, and how fast a chat still gets
 * its waiting message meanwhile.
 *   bun bench/scale.ts          (BENCH_SCALE_GENERATIONS, BENCH_SCALE_SOCKETS: 10,000 each;
 *                                BENCH_SCALE_ONE_GPU_PROCESS=1: one GPU worker process for both instances)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../lib/temporal/devServer";
import { startComfySimulator } from "../simulators/comfyui";
import { freshPostgresUrl } from "../test/support/postgres";
import { killAllRoles, spawnRole, type RoleProcess } from "../test/support/roles";
import { testTemporal } from "../test/support/temporal";
import { quantile, round } from "./stats";
import pg from "pg";

const GENERATIONS = Number(process.env.BENCH_SCALE_GENERATIONS ?? 10_000);
const SOCKETS = Number(process.env.BENCH_SCALE_SOCKETS ?? 10_000);
const CONCURRENCY = 16;
const ONE_GPU_PROCESS = process.env.BENCH_SCALE_ONE_GPU_PROCESS === "1";
const KEY = `bench-scale-key-${Math.random().toString(36).slice(2)}-0123456789`;
const persona = { name: "Sofia", personality: "alegre", language: "es" };

const stats = (xs: number[]) => ({ n: xs.length, p50: round(quantile(xs, 0.5)), p90: round(quantile(xs, 0.9)), p99: round(quantile(xs, 0.99)), max: round(Math.max(...xs)) });

/** Resident memory of a process (MB), from /proc (Linux). */
function rssMb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return round(Number(line.split(/\s+/)[1]) / 1024);
}

export async function benchScale(): Promise<object> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-bench-scale-"));
  const [temporal, databaseUrl] = await Promise.all([testTemporal(), freshPostgresUrl()]);
  // 20 steps of 10 s: a prompt takes over three minutes, so the pool stays busy with its first four.
  const sim = await startComfySimulator({ instances: 2, stepMs: 10_000, steps: 20, outputDir: path.join(dir, "sim") });
  const tag = Math.random().toString(36).slice(2, 8);
  const names = sim.instances.map((_, i) => `s${tag}gpu${i}`);
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    DARKROOM_API_KEYS: `acme:${KEY}`,
    DARKROOM_TASK_QUEUE: `darkroom-scale-${tag}`,
    DARKROOM_DATA_DIR: path.join(dir, "data"),
    COMFYUI_INSTANCES: sim.instances.map((inst, i) => `${names[i]}=${inst.url}`).join(","),
    LOG_LEVEL: "error",
  };
  const db = new pg.Client({ connectionString: databaseUrl });
  let holder: Bun.Subprocess<"pipe", "pipe", "inherit"> | undefined;
  try {
    const port = await freePort();
    const api = await spawnRole(["api"], env, port);
    // One GPU worker process per instance (as the compose file runs them), or one for both.
    const gpuProcesses = ONE_GPU_PROCESS ? [names.join(",")] : names;
    const [worker, ...gpus] = await Promise.all([spawnRole(["worker"], env), ...gpuProcesses.map((n) => spawnRole(["worker", "--gpu", n], env))]);
    const roles: Array<[string, RoleProcess]> = [["api", api], ["mainWorker", worker!], ...gpus.map((g, i) => [`gpuWorker${i}`, g] as [string, RoleProcess])];
    const memory = () => Object.fromEntries(roles.map(([name, r]) => [name, rssMb(r.child.pid!)]));
    const idle = memory();
    await db.connect();

    const reply = async (user: string) => {
      const t = performance.now();
      const res = await fetch(`${api.url}/v1/agents/bench/replies`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ userId: user, text: "¡Dale! [IMAGE: selfie en la playa]", persona }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`reply answered ${res.status}`);
      return performance.now() - t;
    };

    // 1. The backlog: one photo for each of GENERATIONS users, CONCURRENCY chats at a time.
    const ramp: number[] = [];
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < GENERATIONS; i = next++) ramp.push(await reply(`scale-${i}`));
      }),
    );
    const rampSeconds = (performance.now() - t0) / 1000;
    // Every workflow admitted (an instance assigned, its GPU job in that instance's queue; the first
    // few may have finished meanwhile).
    const waitStart = performance.now();
    for (;;) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM "Generation" WHERE status <> 'pending'`);
      if (rows[0].n >= GENERATIONS || performance.now() - waitStart > 600_000) break;
      await Bun.sleep(1000);
    }
    const admittedSeconds = (performance.now() - t0) / 1000;

    // 2. The sockets: SOCKETS clients, each following one of the waiting users.
    holder = Bun.spawn([process.execPath, path.join(import.meta.dir, "socketHolder.ts"), api.url!, KEY, String(SOCKETS), "scale"], {
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
    await Bun.sleep(5000);
    const loaded = memory();

    // 3. A chat meanwhile: replies at 4/s while everything waits.
    const waiting: number[] = [];
    const p0 = performance.now();
    await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        await Bun.sleep(Math.max(0, p0 + i * 250 - performance.now()));
        waiting.push(await reply(`meanwhile-${i}`));
      }),
    );
    const { rows } = await db.query(`SELECT status, count(*)::int AS n FROM "Generation" GROUP BY status`);
    const total = (m: Record<string, number>) => round(Object.values(m).reduce((a, b) => a + b, 0));
    return {
      generations: GENERATIONS,
      gpuWorkerProcesses: gpuProcesses.length,
      sockets: SOCKETS,
      statuses: Object.fromEntries(rows.map((r) => [r.status, r.n])),
      rampRepliesMs: { concurrency: CONCURRENCY, seconds: round(rampSeconds), ...stats(ramp) },
      allAdmittedAfterSeconds: round(admittedSeconds),
      rssMb: { idle, loaded, loadedTotal: total(loaded) },
      repliesWhileWaitingMs: { ratePerSecond: 4, ...stats(waiting) },
    };
  } finally {
    holder?.stdin.end();
    await holder?.exited;
    await db.end().catch(() => undefined);
    await killAllRoles();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchScale(), null, 2));
  process.exit(0);
}
