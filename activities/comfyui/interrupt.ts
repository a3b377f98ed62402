/**
 * Stops a cancelled generation's GPU work at once. The GPU activity also notices cancellation, but
 * only on its next heartbeat to the server (throttled to most of the heartbeat timeout); calling the
 * instance directly makes "cancel" mean the GPU stops now, not in twenty seconds.
 */
import type { ComfyInstance } from "../../lib/config";
import type { PrismaClient } from "../../lib/db/generated/client";
import { getComfyClient } from "./client";

export function createInterruptActivities(deps: { prisma: PrismaClient; instances: ComfyInstance[] }) {
  return {
    /** Interrupts the prompt if it runs, removes it from the instance queue if it waits. */
    async stopGpuWork(input: { generationId: string }): Promise<"interrupted" | "deleted" | "finished" | "missing" | "not-started"> {
      const g = await deps.prisma.generation.findUnique({ where: { id: input.generationId }, select: { instance: true, requestId: true } });
      const instance = deps.instances.find((i) => i.name === g?.instance);
      if (!g?.requestId || !instance) return "not-started";
      return getComfyClient(instance).cancel(g.requestId);
    },
  };
}
