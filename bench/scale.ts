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
import pg from "pg";
import { holdSockets, postReply, startRoleStack } from "./roleStack";
import { round, stats } from "./stats";

const GENERATIONS = Number(process.env.BENCH_SCALE_GENERATIONS ?? 10_000);
const SOCKETS = Number(process.env.BENCH_SCALE_SOCKETS ?? 10_000);
const CONCURRENCY = 16;
const ONE_GPU_PROCESS = process.env.BENCH_SCALE_ONE_GPU_PROCESS === "1";

/** Resident memory of a process (MB), from /proc (Linux). */
function rssMb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return round(Number(line.split(/\s+/)[1]) / 1024);
}

export async function benchScale(): Promise<object> {
  // 20 steps of 10 s: a prompt takes over three minutes, so the pool stays busy with its first four.
  const stack = await startRoleStack({ stepMs: 10_000, steps: 20, oneGpuProcess: ONE_GPU_PROCESS });
  const { roles, key } = stack;
  const api = stack.api.url!;
  const memory = () => Object.fromEntries(roles.map(([name, r]) => [name, rssMb(r.child.pid!)]));
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  let sockets: Awaited<ReturnType<typeof holdSockets>> | undefined;
  try {
    const idle = memory();
    await db.connect();

    // 1. The backlog: one photo for each of GENERATIONS users, CONCURRENCY chats at a time.
    const ramp: number[] = [];
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < GENERATIONS; i = next++) ramp.push(await postReply(api, key, `scale-${i}`));
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
    sockets = await holdSockets(api, key, SOCKETS, "scale");
    await Bun.sleep(5000);
    const loaded = memory();

    // 3. A chat meanwhile: replies at 4/s while everything waits.
    const waiting: number[] = [];
    const p0 = performance.now();
    await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        await Bun.sleep(Math.max(0, p0 + i * 250 - performance.now()));
        waiting.push(await postReply(api, key, `meanwhile-${i}`));
      }),
    );
    const { rows } = await db.query(`SELECT status, count(*)::int AS n FROM "Generation" GROUP BY status`);
    const total = (m: Record<string, number>) => round(Object.values(m).reduce((a, b) => a + b, 0));
    return {
      generations: GENERATIONS,
      gpuWorkerProcesses: roles.length - 2,
      sockets: SOCKETS,
      statuses: Object.fromEntries(rows.map((r) => [r.status, r.n])),
      rampRepliesMs: { concurrency: CONCURRENCY, seconds: round(rampSeconds), ...stats(ramp) },
      allAdmittedAfterSeconds: round(admittedSeconds),
      rssMb: { idle, loaded, loadedTotal: total(loaded) },
      repliesWhileWaitingMs: { ratePerSecond: 4, ...stats(waiting) },
    };
  } finally {
    await sockets?.release();
    await db.end().catch(() => undefined);
    await stack.stop();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchScale(), null, 2));
  process.exit(0);
}
