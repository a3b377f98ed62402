/**
 * Which ComfyUI instance gets the next job: a healthy one with the shortest queue. Health comes from
 * ComfyUI's own `/system_stats` and `/queue`, cached briefly so a burst of jobs does not probe the
 * pool once per job; jobs handed out since the last probe count as queued, so a burst spreads out.
 */
import type { ComfyInstance } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";
import { ttlCache } from "../lib/ttlCache";
import { probeInstance } from "./comfyui/health";

export type InstanceHealth = Awaited<ReturnType<typeof probeInstance>>;

export interface PickedInstance {
  name: string;
  url: string;
  /**
   * How long the jobs already placed on the instance should take to get through it (ms), when
   * known: a job placed behind them waits about that long before its worker picks it up.
   */
  queueWaitMs?: number;
}

/** What an instance has in hand: jobs placed on it and not finished, and how long a job takes there. */
export type InstanceBacklog = (instance: ComfyInstance) => Promise<{ jobs: number; jobMs: number }>;

/**
 * How long a job takes, from the records: the mean GPU time of the last 20 finished jobs (on one
 * instance, or the whole pool); none until three have finished. Placement weighs queues with it, and
 * the pickup timeout scales with it.
 */
export async function recentJobMs(prisma: PrismaClient, instance?: string): Promise<number | undefined> {
  const last = await prisma.generation.findMany({
    where: { gpuMs: { not: null }, status: "completed", ...(instance ? { instance } : {}) },
    orderBy: { completedAt: "desc" },
    select: { gpuMs: true },
    take: 20,
  });
  return last.length < 3 ? undefined : last.reduce((sum, g) => sum + g.gpuMs!, 0) / last.length;
}

/** A job's time on an instance that has not finished enough of them to measure. */
const UNMEASURED_JOB_MS = 30_000;

/**
 * The backlog from the generation records: jobs assigned to the instance and still generating, and
 * its recent job time (cached a few seconds, so a burst of picks does not average the same rows
 * again and again).
 */
export function backlogFromRecords(prisma: PrismaClient, jobMsTtl = 5000): InstanceBacklog {
  const jobMs = ttlCache(jobMsTtl, async (name) => (await recentJobMs(prisma, name)) ?? UNMEASURED_JOB_MS);
  return async (instance) => {
    const [jobs, ms] = await Promise.all([prisma.generation.count({ where: { instance: instance.name, status: "generating" } }), jobMs.get(instance.name)]);
    return { jobs, jobMs: ms };
  };
}

/** Whether the instance finished a job a moment ago (its queue may have just run dry). */
export type RecentFinish = (instance: ComfyInstance) => Promise<boolean>;

/**
 * From the records: a generation on the instance completed (or failed) in the last `withinMs`, by
 * the database's clock (which wrote the completion). A completion means the instance's GPU worker
 * handed in a job that recently, so it was alive then.
 */
export function finishFromRecords(prisma: PrismaClient, withinMs = 3000): RecentFinish {
  return async (instance) => {
    const [row] = await prisma.$queryRaw<Array<{ recent: boolean }>>`
      SELECT EXISTS (
        SELECT 1 FROM "Generation"
        WHERE "instance" = ${instance.name} AND "status" IN ('completed', 'failed')
          AND "completedAt" > now() - ${withinMs} * interval '1 millisecond'
      ) AS "recent"`;
    return row?.recent === true;
  };
}

/**
 * How long an instance that looks idle is watched (and how often probed) before it counts as idle.
 * The gap between two jobs is the worker's turnaround, which grows with the host's load: with 2 s,
 * a live queue was failed over once on a machine whose cores a compiler had taken (that may also
 * have been a queue that had just run dry, which `recentFinish` now tells apart). A worker that is
 * really gone is failed over this much later.
 */
const IDLE_WATCH_MS = 5000;
const IDLE_PROBE_EVERY_MS = 250;

export function createInstancePool(
  instances: ComfyInstance[],
  opts: { probeTtlMs?: number; probeTimeoutMs?: number; backlog?: InstanceBacklog; recentFinish?: RecentFinish; idleWatchMs?: number } = {},
) {
  const ttl = opts.probeTtlMs ?? 500;
  const cache = new Map<string, { at: number; health: Promise<InstanceHealth> }>();
  const handedOut = new Map<string, number>();

  function health(instance: ComfyInstance): Promise<InstanceHealth> {
    const hit = cache.get(instance.name);
    if (hit && Date.now() - hit.at < ttl) return hit.health;
    const probe = probeInstance(instance, opts.probeTimeoutMs ?? 2000);
    cache.set(instance.name, { at: Date.now(), health: probe });
    handedOut.set(instance.name, 0);
    return probe;
  }

  /** The picked instance's expected queue wait; without a backlog source (or when it fails), none. */
  async function queueWait(instance: ComfyInstance, pickedNow: boolean): Promise<{ queueWaitMs?: number }> {
    if (!opts.backlog) return {};
    try {
      const { jobs, jobMs } = await opts.backlog(instance);
      // Picks of this process not yet recorded when the backlog was read (a burst) count too, some
      // twice, which errs on the side of waiting longer; the pick being made now is not ahead of itself.
      const ahead = jobs + (handedOut.get(instance.name) ?? 0) - (pickedNow ? 1 : 0);
      // The instance runs `concurrency` jobs at once: the job starts once all but that many are done.
      const before = Math.max(0, ahead - instance.concurrency + 1);
      return { queueWaitMs: Math.round((before * jobMs) / instance.concurrency) };
    } catch {
      return {};
    }
  }

  return {
    instances,
    /** The expected queue wait of an instance picked by other means (model-aware placement). */
    async queueWaitOf(name: string): Promise<{ queueWaitMs?: number }> {
      const instance = instances.find((i) => i.name === name);
      return instance ? queueWait(instance, false) : {};
    },
    /**
     * Whether the instance is busy with prompts (fresh probes, not the cached one). A job that timed
     * out waiting for that instance's worker is then behind a queue that moves, not stranded by a
     * worker that is gone. Between two jobs the instance is idle for a moment (the worker reports
     * one and takes the next), so an idle instance is watched for a while before it counts as idle.
     * An instance that finished a job a moment ago counts as working too: when the timed-out job was
     * the last one waiting for it, its queue runs dry just as the timeout fires, and the worker that
     * would have taken the job next is alive.
     */
    async isWorking(name: string): Promise<boolean> {
      const instance = instances.find((i) => i.name === name);
      if (!instance) return false;
      const until = Date.now() + (opts.idleWatchMs ?? IDLE_WATCH_MS);
      for (;;) {
        const h = await probeInstance(instance, opts.probeTimeoutMs ?? 2000);
        if (!h.healthy) return false;
        if (h.queueRunning + h.queuePending > 0) return true;
        if (opts.recentFinish && (await opts.recentFinish(instance).catch(() => false))) return true;
        if (Date.now() >= until) return false;
        await new Promise((resolve) => setTimeout(resolve, IDLE_PROBE_EVERY_MS));
      }
    },
    /** Current health of every instance (for GET /v1/instances). */
    async snapshot(): Promise<InstanceHealth[]> {
      return Promise.all(instances.map(health));
    },
    /** Gives back a pick that was not used: it no longer counts as a job handed out to the instance. */
    unpick(name: string): void {
      const n = handedOut.get(name) ?? 0;
      if (n > 0) handedOut.set(name, n - 1);
    },
    /** Activity: the least-loaded healthy instance not in `exclude`, or null when there is none. */
    async pickInstance(input: { exclude: string[] }): Promise<PickedInstance | null> {
      const candidates = instances.filter((i) => !input.exclude.includes(i.name));
      const probed = await Promise.all(candidates.map(async (i) => ({ instance: i, health: await health(i) })));
      let best: { instance: ComfyInstance; load: number } | undefined;
      for (const { instance, health: h } of probed) {
        if (!h.healthy) continue;
        const load = h.queueRunning + h.queuePending + (handedOut.get(instance.name) ?? 0);
        if (!best || load < best.load) best = { instance, load };
      }
      if (!best) return null;
      handedOut.set(best.instance.name, (handedOut.get(best.instance.name) ?? 0) + 1);
      return { name: best.instance.name, url: best.instance.url, ...(await queueWait(best.instance, true)) };
    },
  };
}

export type InstancePool = ReturnType<typeof createInstancePool>;
