/**
 * Replies under a burst, against the floor under them: eight chat backends (separate processes)
 * posting replies back to back to an API that runs as its own process beside a main worker and GPU
 * workers (as deployed), and in the same run the same eight processes doing bare Temporal workflow
 * starts against the same server. A reply is one start plus a database write and HTTP, so the ratio
 * of the two says what darkroom adds. Also: replies paced at 4/s (while the burst's images are
 * still being made, and again once they are done), and a bare start probing the server *during*
 * the reply burst (the fair floor when the server is busy with the burst's work), and when the
 * burst's last reply and last picture were done (what answering first costs the pictures).
 * Last, the same eight processes start a reply's own photo straight on Temporal, with the input and
 * options the API gave it, back to back: the same start with the same work behind it, without the
 * API, so the ratio of replies to those says what the API itself adds under that load.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client, Connection } from "@temporalio/client";
import pg from "pg";
import { eventually } from "../test/support/stack";
import { bareStartLatencies, photoStartOf } from "./baselines";
import { postReply, sendReply, startRoleStack } from "./roleStack";
import { quantile, round, stats } from "./stats";

const CLIENTS = Number(process.env.BENCH_BURST_CLIENTS ?? 8);
const PER_CLIENT = Number(process.env.BENCH_BURST_REQUESTS ?? 40);
const PACED = Number(process.env.BENCH_PACED_REPLIES ?? 80);

/** CPU time (ms) a process has used so far, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime, fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Runs `CLIENTS` client processes with the same arguments; they start together; their latencies, merged. */
async function clients(args: (i: number) => string[]): Promise<number[]> {
  const procs = Array.from({ length: CLIENTS }, (_, i) =>
    Bun.spawn([process.execPath, path.join(import.meta.dir, "burstClient.ts"), ...args(i)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" }),
  );
  const outputs = procs.map(async (p) => {
    const reader = p.stdout.getReader();
    let text = "";
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((r) => (ready = r));
    const done = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += new TextDecoder().decode(value);
        if (text.includes("ready\n")) ready();
      }
    })();
    return { isReady, done };
  });
  const handles = await Promise.all(outputs);
  await Promise.all(handles.map((h) => h.isReady));
  for (const p of procs) {
    p.stdin.write("go\n");
    p.stdin.flush();
  }
  const texts = await Promise.all(handles.map((h) => h.done));
  for (const p of procs) if ((await p.exited) !== 0) throw new Error("a burst client failed");
  return texts.flatMap((t) => JSON.parse(t.split("\n").filter(Boolean).at(-1)!) as number[]);
}

/** `PACED` replies from one client at 4/s; their round trips. */
async function pacedReplies(url: string, key: string, tag: string): Promise<number[]> {
  const paced: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PACED }, async (_, i) => {
      await Bun.sleep(Math.max(0, t0 + i * 250 - performance.now()));
      paced.push(await postReply(url, key, `paced-${tag}-${i}`));
    }),
  );
  return paced;
}

/** The start the API made for one reply's photo, written to a file for the client processes. */
async function replyPhotoStart(url: string, key: string, temporal: Client, file: string): Promise<void> {
  const { workflowId } = await sendReply(url, key, "photo-start-template");
  fs.writeFileSync(file, JSON.stringify(await photoStartOf(temporal, workflowId)));
}

export async function benchBursts(): Promise<object> {
  const stack = await startRoleStack({ stepMs: 0, steps: 4, env: { MAX_CONCURRENT_GENERATIONS: "1000", IMAGE_MAX_EDGE: "512" } });
  const { api, key, temporalAddress } = stack;
  const url = api.url!;
  try {
    const startsBefore = await clients(() => ["start", temporalAddress, "default", String(PER_CLIENT)]);
    // The burst, with one bare start every 50 ms probing the same server meanwhile.
    const probe: number[] = [];
    let bursting = true;
    const connection = await Connection.connect({ address: temporalAddress });
    const probeClient = new Client({ connection, namespace: "default" });
    await bareStartLatencies(probeClient, 1);
    const probing = (async () => {
      while (bursting) {
        probe.push(...(await bareStartLatencies(probeClient, 1)));
        await Bun.sleep(50);
      }
    })();
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const open = async (users: string) =>
      Number((await db.query(`SELECT count(*) AS n FROM "Generation" WHERE status IN ('pending', 'generating') AND "userId" LIKE $1`, [users])).rows[0].n);
    const burstStart = performance.now();
    const apiCpuBefore = cpuMs(api.child.pid!);
    const replies = await clients((i) => ["reply", url, key, String(PER_CLIENT), `burst-${i}`]);
    const apiCpuPerReply = (cpuMs(api.child.pid!) - apiCpuBefore) / replies.length;
    const repliesDoneMs = performance.now() - burstStart;
    // What answering first costs the pictures: when the burst's last image is done.
    const burstImagesDone = (async () => {
      while ((await open("burst-%")) > 0) await Bun.sleep(50);
      return performance.now() - burstStart;
    })();
    burstImagesDone.catch(() => undefined); // awaited below; a failure before then is reported there
    bursting = false;
    await probing;
    const startsAfter = await clients(() => ["start", temporalAddress, "default", String(PER_CLIENT)]);
    const photoStartFile = path.join(os.tmpdir(), `darkroom-bench-photo-start-${process.pid}.json`);
    await replyPhotoStart(url, key, probeClient, photoStartFile);
    await connection.close();

    // Paced: one reply every 250 ms from one client, first while the burst's images are still being
    // made (every core busy), then once they are done, with only the paced replies' own images.
    let imagesDoneMs: number;
    let pacedInBacklog: number[];
    try {
      pacedInBacklog = await pacedReplies(url, key, "backlog");
      imagesDoneMs = await burstImagesDone;
      await eventually(async () => ((await open("%")) === 0 ? true : undefined), "the paced replies' images", 600_000);
    } finally {
      await db.end();
    }
    const paced = await pacedReplies(url, key, "steady");
    // Once every picture is done, as when the reply burst began.
    let photoStarts: number[];
    try {
      photoStarts = await clients((i) => ["photo", temporalAddress, "default", String(PER_CLIENT), `photo-${i}`, photoStartFile]);
    } finally {
      fs.rmSync(photoStartFile, { force: true });
    }

    const starts = [...startsBefore, ...startsAfter];
    return {
      clients: CLIENTS,
      repliesAtOnceMs: stats(replies),
      bareStartsAtOnceMs: stats(starts),
      bareStartDuringRepliesMs: stats(probe),
      repliesToBareStart: { p50: round(quantile(replies, 0.5) / quantile(starts, 0.5)), p99: round(quantile(replies, 0.99) / quantile(starts, 0.99)) },
      // The reply's own photo started straight on Temporal by the same clients: no API, the same work after.
      photoStartsAtOnceMs: stats(photoStarts),
      repliesToPhotoStart: { p50: round(quantile(replies, 0.5) / quantile(photoStarts, 0.5)), p99: round(quantile(replies, 0.99) / quantile(photoStarts, 0.99)) },
      // From the burst's first request: its last reply answered, and its last picture done.
      burstRepliesDoneMs: Math.round(repliesDoneMs),
      burstImagesDoneMs: Math.round(imagesDoneMs),
      pacedRepliesMs: { ratePerSecond: 4, ...stats(paced) },
      pacedRepliesDuringBacklogMs: { ratePerSecond: 4, ...stats(pacedInBacklog) },
      apiCpuMsPerReply: round(apiCpuPerReply),
      // The workers' CPU priority below the API's (DARKROOM_WORKER_NICENESS): the figures above depend on it.
      workerNiceness: os.getPriority(stack.roles.find(([name]) => name === "mainWorker")![1].child.pid!) - os.getPriority(api.child.pid!),
    };
  } finally {
    await stack.stop();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchBursts(), null, 2));
  process.exit(0);
}
