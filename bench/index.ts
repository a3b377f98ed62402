/**
 * `./darkroom bench`: how fast the conversation gets its answer, and how much darkroom adds on top
 * of GPU time. Runs the real stack (Temporal dev server, PostgreSQL, the API over a socket, workers)
 * against the ComfyUI simulator at zero step time, so what is measured is orchestration — on one
 * 2-core machine that also runs the simulator, PostgreSQL and Temporal. Prints a JSON summary last.
 *
 * - repliesMs: POST /replies round trips (waiting message back) at a steady 4 requests/s, below the
 *   machine's image capacity, with the images of earlier requests being made meanwhile.
 * - orchestrationOverheadMs: one image at a time, request to stored image minus the simulated GPU
 *   time (ComfyUI's execution_start → execution_success); queueing at a busy GPU is not overhead.
 *   Images are 200 ms apart (BENCH_OVERHEAD_GAP_MS; see overhead.ts).
 * - throughput: a burst of images at once, until every one is stored; meanwhile, the gap between one
 *   prompt's end and the next one's start on each instance, and how much of the time it was busy.
 * - bursts: replies from 8 chat backends at once against bare Temporal starts from the same 8 and
 *   against the same 8 starting a reply's own photo straight on Temporal, and replies paced at 4/s
 *   (during the burst's backlog and after it), with every role in its own process (bench/bursts.ts).
 * - placement: makespan and checkpoint swaps of round-robin, least-loaded and darkroom's model-aware
 *   placement on instances where a swap costs time.
 * - eta: how far the ETAs in progress events were from the time the pictures really took.
 * - baselines: a thin pass-through to the same instance, a bare Temporal start, and the durable
 *   floor (a workflow of the photo's Temporal shape with nothing in it, bench/durableFloor.ts),
 *   measured in the same run, with darkroom's figures as ratios of them or differences from them.
 */
import { startStack, eventually } from "../test/support/stack";
import { benchAngleSeries } from "./angleSeries";
import { benchBursts } from "./bursts";
import { bareStartLatencies, passThroughOverheads } from "./baselines";
import { durableFloorOverheads } from "./durableFloor";
import { benchEta } from "./eta";
import { benchEvents } from "./events";
import { benchPlacement } from "./placement";
import { benchOverhead } from "./overhead";
import { benchPreviews } from "./previews";
import { quantile, round, stats } from "./stats";

const REPLIES = Number(process.env.BENCH_REPLIES ?? 120);
const REPLY_RATE_PER_S = Number(process.env.BENCH_REPLY_RATE ?? 4);
const SEQUENTIAL_IMAGES = Number(process.env.BENCH_SEQUENTIAL ?? 40);
const THROUGHPUT_IMAGES = Number(process.env.BENCH_IMAGES ?? 100);
/** Between one image done and the next in the overhead measurement (and its durable floor); see overhead.ts. */
const OVERHEAD_GAP_MS = Number(process.env.BENCH_OVERHEAD_GAP_MS ?? 200);
const WARMUP = 20;
/** The sections after the first (replies, overhead, baselines, throughput), all by default. */
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? "bursts,angleSeries,events,previews,eta,placement").split(",").map((s) => s.trim()));


const stack = await startStack({
  instances: 2,
  stepMs: 0,
  steps: 4,
  // The production pickup timeout, not the test stack's short one: on this CPU-bound simulator a
  // backlog of 100 runs slower per job than the idle GPU times placement estimates its wait from,
  // and with a short timeout the throughput would include jobs timing out and queueing again.
  env: { MAX_CONCURRENT_GENERATIONS: "1000", IMAGE_MAX_EDGE: "512", COMFYUI_PICKUP_TIMEOUT_MS: "30000" },
});
const persona = { name: "Sofia", personality: "alegre", language: "es" };
async function reply(user: string) {
  const res = await stack.request("POST", "/v1/agents/bench/replies", { userId: user, text: "¡Dale! [IMAGE: selfie en la playa]", persona });
  if (res.status !== 200) throw new Error(`reply failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.generations[0].id as string;
}

/**
 * How idle the instances were during the throughput burst: the time between one prompt's end and
 * the next one's start on the same instance, and the share of each instance's span it was running.
 */
function gpuIdle(runsByInstance: Array<Array<{ startedAt: number; finishedAt?: number }>>) {
  const gaps: number[] = [];
  let running = 0;
  let span = 0;
  for (const runs of runsByInstance) {
    const done = runs.filter((r) => r.finishedAt !== undefined).sort((a, b) => a.startedAt - b.startedAt);
    if (done.length === 0) continue;
    for (let i = 1; i < done.length; i++) gaps.push(Math.max(0, done[i]!.startedAt - done[i - 1]!.finishedAt!));
    running += done.reduce((sum, r) => sum + (r.finishedAt! - r.startedAt), 0);
    span += Math.max(...done.map((r) => r.finishedAt!)) - done[0]!.startedAt;
  }
  return { gpuIdleGapMs: stats(gaps), gpuBusyPct: round((100 * running) / span) };
}

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

  // 1. The waiting message at a steady rate, images of earlier requests in the background.
  since = new Date();
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: REPLIES }, async (_, i) => {
      await Bun.sleep(Math.max(0, t0 + (i * 1000) / REPLY_RATE_PER_S - performance.now()));
      const start = performance.now();
      await reply(`lat-${i}`);
      latencies.push(performance.now() - start);
    }),
  );
  await allDone(REPLIES, since);

  // 2. Orchestration overhead: one image at a time, so no image waits for a busy GPU.
  const overhead = await benchOverhead(stack, SEQUENTIAL_IMAGES, reply, OVERHEAD_GAP_MS);

  // Baselines in the same run: the same graph straight to the same instance, bare starts, and a
  // workflow of the photo's Temporal shape with nothing in it.
  const passThrough = await passThroughOverheads(stack.sim.instances[0]!.url, SEQUENTIAL_IMAGES);
  const bareStarts = await bareStartLatencies(stack.running.temporal, SEQUENTIAL_IMAGES);
  const durableFloor = await durableFloorOverheads(stack.running.temporal, stack.env.TEMPORAL_ADDRESS!, SEQUENTIAL_IMAGES, OVERHEAD_GAP_MS);

  // 3. Sustained throughput: a burst at once, until every image is stored.
  since = new Date();
  const burst = performance.now();
  await Promise.all(Array.from({ length: THROUGHPUT_IMAGES }, (_, i) => reply(`tp-${i}`)));
  await allDone(THROUGHPUT_IMAGES, since);
  const seconds = (performance.now() - burst) / 1000;
  const gpu = gpuIdle(stack.sim.instances.map((instance) => instance.runs.filter((run) => run.startedAt >= since.getTime())));
  await stack.stop();

  const section = <T>(name: string, run: () => Promise<T>) => (SECTIONS.has(name) ? run() : Promise.resolve(undefined));
  const bursts = await section("bursts", benchBursts);
  const angleSeries = await section("angleSeries", benchAngleSeries);
  const events = await section("events", benchEvents);
  const previews = await section("previews", benchPreviews);
  const eta = await section("eta", benchEta);
  const placement = await section("placement", benchPlacement);
  const summary = {
    machine: { cpus: navigator.hardwareConcurrency, runtime: `bun ${Bun.version}` },
    repliesMs: { ratePerSecond: REPLY_RATE_PER_S, ...stats(latencies) },
    orchestrationOverheadMs: overhead.overheadMs,
    overheadStepsP50Ms: overhead.stepsP50Ms,
    baselines: {
      passThroughOverheadMs: stats(passThrough),
      bareTemporalStartMs: stats(bareStarts),
      durableFloorMs: stats(durableFloor),
      overheadToPassThroughP50: round(overhead.overheadMs.p50 / quantile(passThrough, 0.5)),
      overheadAboveDurableFloorP50: round(overhead.overheadMs.p50 - quantile(durableFloor, 0.5)),
      repliesToBareStartP50: round(quantile(latencies, 0.5) / quantile(bareStarts, 0.5)),
    },
    endToEndMs: overhead.endToEndMs,
    throughput: { images: THROUGHPUT_IMAGES, seconds: round(seconds), imagesPerSecond: round(THROUGHPUT_IMAGES / seconds), ...gpu },
    bursts,
    angleSeries,
    events,
    previews,
    eta,
    placement,
  };
  console.log(JSON.stringify(summary));
} finally {
  await stack.stop().catch(() => undefined);
  process.exit(0);
}
