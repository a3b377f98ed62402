/**
 * darkroom's Prometheus metrics, as one API process reports them. Counts by kind and status come
 * from the database at scrape time, so every API replica reports the same truth; durations are fed
 * from the generations that finished since this process started (each observed once per process);
 * the pool's numbers come from the instances themselves. The README's operator section lists them.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { InstancePool } from "../../activities/instancePool";
import type { PrismaClient } from "../../lib/db/generated/client";
import { finishedGenerationsFeed } from "./finishedGenerations";
import { createInstanceSampler } from "./instanceSampler";

export interface MetricsDeps {
  prisma: PrismaClient;
  pool: InstancePool;
  settings: { instanceSampleMs: number; busyWindowMs: number };
}

export function createMetrics(deps: MetricsDeps) {
  const registry = new Registry();
  const registers = [registry];
  const feed = finishedGenerationsFeed(deps.prisma, new Date());
  const sampler = createInstanceSampler(deps.pool, { intervalMs: deps.settings.instanceSampleMs, windowMs: deps.settings.busyWindowMs });

  const generations = new Gauge({
    name: "darkroom_generations",
    help: "Generations in the database, by kind and status",
    labelNames: ["kind", "status"],
    registers,
  });
  const refused = new Gauge({
    name: "darkroom_generations_refused",
    help: "Generations whose prompt the content policy refused before any GPU work, by kind and by what refused it (blocklist, moderation)",
    labelNames: ["kind", "by"],
    registers,
  });
  const waitingMessage = new Histogram({
    name: "darkroom_waiting_message_seconds",
    help: "From the chat's request to the API's answer carrying the waiting message(s)",
    labelNames: ["kind"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
    registers,
  });
  const duration = new Histogram({
    name: "darkroom_generation_duration_seconds",
    help: "Total time of a finished generation, from its request to its outcome (queueing included)",
    labelNames: ["kind", "status"],
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200],
    registers,
  });
  const gpu = new Histogram({
    name: "darkroom_generation_gpu_seconds",
    help: "GPU time of a completed generation on its instance",
    labelNames: ["kind", "instance"],
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers,
  });
  const instanceUp = new Gauge({ name: "darkroom_instance_up", help: "1 when the ComfyUI instance answers its health probe", labelNames: ["instance"], registers });
  const instanceRunning = new Gauge({
    name: "darkroom_instance_queue_running",
    help: "Prompts the ComfyUI instance is executing now (its /queue)",
    labelNames: ["instance"],
    registers,
  });
  const instancePending = new Gauge({
    name: "darkroom_instance_queue_pending",
    help: "Prompts waiting in the ComfyUI instance's own queue (its /queue)",
    labelNames: ["instance"],
    registers,
  });
  const instanceGenerating = new Gauge({
    name: "darkroom_instance_generations_generating",
    help: "Generations the database shows as generating on the instance",
    labelNames: ["instance"],
    registers,
  });
  const instanceBusy = new Counter({
    name: "darkroom_instance_busy_seconds_total",
    help: "Sampled time the instance spent running a prompt, since this process started",
    labelNames: ["instance"],
    registers,
  });
  const instanceBusyRatio = new Gauge({
    name: "darkroom_instance_busy_ratio",
    help: "Share of the recent window (METRICS_BUSY_WINDOW_MS) the instance spent running a prompt",
    labelNames: ["instance"],
    registers,
  });
  const busyReported = new Map<string, number>();

  async function countGenerations() {
    const groups = await deps.prisma.generation.groupBy({ by: ["kind", "status"], _count: { _all: true } });
    generations.reset();
    for (const g of groups) generations.set({ kind: g.kind, status: g.status }, g._count._all);
    const refusals = await deps.prisma.generation.groupBy({ by: ["kind", "refusedBy"], where: { status: "refused" }, _count: { _all: true } });
    refused.reset();
    for (const g of refusals) refused.set({ kind: g.kind, by: g.refusedBy ?? "unknown" }, g._count._all);
  }

  async function observeFinished() {
    for (const g of await feed.next()) {
      duration.observe({ kind: g.kind, status: g.status }, Math.max(0, (g.completedAt.getTime() - g.createdAt.getTime()) / 1000));
      if (g.status === "completed" && g.gpuMs !== null && g.instance) gpu.observe({ kind: g.kind, instance: g.instance }, g.gpuMs / 1000);
    }
  }

  async function describePool() {
    const [health, generating] = await Promise.all([
      deps.pool.snapshot(),
      deps.prisma.generation.groupBy({ by: ["instance"], where: { status: "generating", instance: { not: null } }, _count: { _all: true } }),
    ]);
    const generatingOn = new Map(generating.map((g) => [g.instance, g._count._all]));
    deps.pool.instances.forEach((instance, i) => {
      const labels = { instance: instance.name };
      const h = health[i];
      instanceUp.set(labels, h?.healthy ? 1 : 0);
      instanceRunning.set(labels, h?.queueRunning ?? 0);
      instancePending.set(labels, h?.queuePending ?? 0);
      instanceGenerating.set(labels, generatingOn.get(instance.name) ?? 0);
      const load = sampler.load(instance.name);
      instanceBusy.inc(labels, load.busySeconds - (busyReported.get(instance.name) ?? 0));
      busyReported.set(instance.name, load.busySeconds);
      if (load.busyRatio === undefined) instanceBusyRatio.remove(labels);
      else instanceBusyRatio.set(labels, load.busyRatio);
    });
  }

  return {
    contentType: registry.contentType,
    /** The API answered a chat request with `count` waiting messages after `seconds`. */
    observeWaitingMessage(seconds: number, kind = "companion_photo"): void {
      waitingMessage.observe({ kind }, seconds);
    },
    /** Starts sampling the pool for the busy numbers; `stop` ends it. */
    start: () => sampler.start(),
    stop: () => sampler.stop(),
    /** The Prometheus text exposition, read fresh from the database and the pool. */
    async render(): Promise<string> {
      sampler.start();
      await Promise.all([countGenerations(), observeFinished(), describePool()]);
      return registry.metrics();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
