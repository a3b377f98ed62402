/**
 * Model-aware placement on top of the instance pool: loading a checkpoint costs a ComfyUI instance
 * seconds to minutes, so a persona's picture goes to the healthy instance that will finish it
 * first — weighing each instance's queue against the swaps it will cause (modelPlacement.ts).
 *
 * What each instance has loaded and is about to run is read from the generation records, so every
 * main worker agrees on it and it survives restarts: the jobs placed there and not finished, in
 * order, and the checkpoints of its most recent finished jobs. Jobs the records do not know (the
 * instance's own queue is longer) count as time, not as swaps.
 */
import type { PrismaClient } from "../lib/db/generated/client";
import { recentJobMs, type InstancePool, type PickedInstance } from "./instancePool";
import { chooseByModel, type InstanceOutlook, type PlacementCosts } from "./modelPlacement";

export interface ModelCosts {
  /** Loading a checkpoint that is not in VRAM. */
  swapMs: number;
  modelsInVram: number;
  /** A job's GPU time until enough jobs have been measured. */
  defaultJobMs: number;
  /** A fixed job time instead of the measured one (what-if comparisons). */
  jobMs?: number;
}

const checkpointOf = (persona: unknown) => (persona as { checkpoint?: string } | null)?.checkpoint ?? "";

export function createInstanceAffinityActivities(deps: { prisma: PrismaClient; pool: InstancePool; costs?: Partial<ModelCosts> }) {
  const costs: ModelCosts = { swapMs: 2500, modelsInVram: 1, defaultJobMs: 5000, ...deps.costs };

  async function outlook(name: string, queued: number): Promise<InstanceOutlook> {
    const [open, recent] = await Promise.all([
      deps.prisma.generation.findMany({
        where: { instance: name, status: "generating" },
        orderBy: { startedAt: "asc" },
        select: { persona: true },
        take: 200,
      }),
      deps.prisma.generation.findMany({
        where: { instance: name, completedAt: { not: null }, startedAt: { not: null } },
        orderBy: { completedAt: "desc" },
        select: { persona: true },
        take: 20,
      }),
    ]);
    const loaded: string[] = [];
    for (const g of recent) {
      const ckpt = checkpointOf(g.persona);
      if (ckpt && !loaded.includes(ckpt)) loaded.unshift(ckpt);
      if (loaded.length >= costs.modelsInVram) break;
    }
    const ahead = open.map((g) => checkpointOf(g.persona));
    // Jobs the instance has that the records do not (other clients, or records not yet written).
    for (let i = ahead.length; i < queued; i++) ahead.unshift(loaded.at(-1) ?? "");
    return { name, ahead, loaded };
  }

  async function measuredJobMs(): Promise<number> {
    if (costs.jobMs !== undefined) return costs.jobMs;
    return (await recentJobMs(deps.prisma)) ?? costs.defaultJobMs;
  }

  return {
    async pickInstanceForCheckpoint(input: { checkpoint: string; exclude: string[] }): Promise<(PickedInstance & { affinity: boolean }) | null> {
      const healthy = (await deps.pool.snapshot()).filter((h) => h.healthy && !input.exclude.includes(h.name));
      if (healthy.length === 0) {
        const picked = await deps.pool.pickInstance({ exclude: input.exclude });
        return picked && { ...picked, affinity: false };
      }
      const outlooks = await Promise.all(healthy.map((h) => outlook(h.name, h.queueRunning + h.queuePending)));
      const placement: PlacementCosts = { jobMs: await measuredJobMs(), swapMs: costs.swapMs, modelsInVram: costs.modelsInVram };
      const name = chooseByModel(outlooks, input.checkpoint, placement)!;
      const chosen = healthy.find((h) => h.name === name)!;
      const warm = outlooks.find((o) => o.name === name)!.loaded.includes(input.checkpoint);
      return { name: chosen.name, url: chosen.url, ...(await deps.pool.queueWaitOf(chosen.name)), affinity: warm };
    },
  };
}
