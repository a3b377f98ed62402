/**
 * `./darkroom bench`: how fast the conversation gets its answer, and how much darkroom adds on top
 * of GPU time. Runs the real stack (Temporal dev server, PostgreSQL, the API over a socket, workers)
 * against the ComfyUI simulator at zero step time, so everything measured is orchestration.
 * Prints a JSON summary as the last line.
 */
import { startStack, eventually } from "../test/support/stack";
import { benchAngleSeries } from "./angleSeries";
import { benchEvents } from "./events";

const REPLIES = Number(process.env.BENCH_REPLIES ?? 200);
const THROUGHPUT_IMAGES = Number(process.env.BENCH_IMAGES ?? 100);
const WARMUP = 20;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const round = (n: number) => Math.round(n * 10) / 10;

const stack = await startStack({
  instances: 2,
  stepMs: 0,
  steps: 4,
  env: { MAX_CONCURRENT_GENERATIONS: "1000", IMAGE_MAX_EDGE: "512" },
});
const persona = { name: "Sofia", personality: "alegre", language: "es" };
const reply = (user: string) =>
  stack.request("POST", "/v1/agents/bench/replies", { userId: user, text: "¡Dale! [IMAGE: selfie en la playa]", persona });

async function allDone(n: number, since: Date) {
  await eventually(
    async () => ((await stack.db.prisma.generation.count({ where: { createdAt: { gte: since }, status: { in: ["completed", "failed"] } } })) >= n ? true : undefined),
    `${n} generations`,
    600_000,
  );
}

try {
  // Warm up: workflow bundle cache, JIT, connection pools.
  let since = new Date();
  for (let i = 0; i < WARMUP; i++) await reply(`warm-${i}`);
  await allDone(WARMUP, since);

  // 1. The waiting message: POST /replies round trip, one request at a time, background work running.
  since = new Date();
  const latencies: number[] = [];
  for (let i = 0; i < REPLIES; i++) {
    const t0 = performance.now();
    const res = await reply(`lat-${i}`);
    latencies.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`reply failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await allDone(REPLIES, since);
  const rows = await stack.db.prisma.generation.findMany({ where: { createdAt: { gte: since }, status: "completed" } });
  // 2. Orchestration overhead: request to completion, minus the time the GPU (simulator) worked.
  const overhead = rows.map((r) => r.completedAt!.getTime() - r.createdAt.getTime() - (r.gpuMs ?? 0));
  const endToEnd = rows.map((r) => r.completedAt!.getTime() - r.createdAt.getTime());

  // 3. Sustained throughput: many requests at once, time until every image is stored.
  since = new Date();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: THROUGHPUT_IMAGES }, (_, i) => reply(`tp-${i}`)));
  await allDone(THROUGHPUT_IMAGES, since);
  const seconds = (performance.now() - t0) / 1000;

  await stack.stop();
  const angleSeries = await benchAngleSeries();
  const events = await benchEvents();

  const summary = {
    machine: { cpus: navigator.hardwareConcurrency, runtime: `bun ${Bun.version}` },
    repliesMs: { n: latencies.length, p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)), max: round(Math.max(...latencies)) },
    orchestrationOverheadMs: { n: overhead.length, p50: round(quantile(overhead, 0.5)), p99: round(quantile(overhead, 0.99)) },
    endToEndMs: { p50: round(quantile(endToEnd, 0.5)), p99: round(quantile(endToEnd, 0.99)) },
    throughput: { images: THROUGHPUT_IMAGES, seconds: round(seconds), imagesPerSecond: round(THROUGHPUT_IMAGES / seconds) },
    angleSeries,
    events,
  };
  console.log(JSON.stringify(summary));
} finally {
  await stack.stop().catch(() => undefined);
  process.exit(0);
}
