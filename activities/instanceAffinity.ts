/**
 * Model affinity on top of the instance pool: loading a checkpoint costs a ComfyUI instance seconds
 * to minutes, so a persona's picture goes to a healthy instance whose last job used the same
 * checkpoint. Without one, the pool's usual choice (least loaded healthy instance) applies.
 *
 * "Last job" is read from the generation records, so every main worker agrees on it and it
 * survives restarts.
 */
import type { PrismaClient } from "../lib/db/generated/client";
import type { InstancePool, PickedInstance } from "./instancePool";

export function createInstanceAffinityActivities(deps: { prisma: PrismaClient; pool: InstancePool }) {
  async function lastCheckpointOn(instance: string): Promise<string | undefined> {
    const last = await deps.prisma.generation.findFirst({
      where: { instance, startedAt: { not: null } },
      orderBy: { startedAt: "desc" },
      select: { persona: true },
    });
    return (last?.persona as { checkpoint?: string } | null)?.checkpoint;
  }

  return {
    async pickInstanceForCheckpoint(input: { checkpoint: string; exclude: string[] }): Promise<(PickedInstance & { affinity: boolean }) | null> {
      const healthy = (await deps.pool.snapshot()).filter((h) => h.healthy && !input.exclude.includes(h.name));
      const warm: typeof healthy = [];
      for (const h of healthy) if ((await lastCheckpointOn(h.name)) === input.checkpoint) warm.push(h);
      warm.sort((a, b) => a.queueRunning + a.queuePending - (b.queueRunning + b.queuePending));
      if (warm[0]) return { name: warm[0].name, url: warm[0].url, affinity: true };
      const picked = await deps.pool.pickInstance({ exclude: input.exclude });
      return picked && { ...picked, affinity: false };
    },
  };
}
