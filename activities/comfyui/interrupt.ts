/**
 * Stopping a generation's GPU work, and keeping it stopped.
 *
 * The workflow stops the GPU at once (the GPU activity would only learn of the cancel on its next
 * heartbeat, up to most of the heartbeat timeout later). Deleting a queued prompt looks, to the GPU
 * activity following it, exactly like an instance that restarted and lost it — which it answers by
 * submitting the graph again. So the stop is written down first (`gpuStoppedAt`), and the GPU
 * activity asks before every submit and resubmit (`createGpuStopGate`): a cancelled companion photo
 * is never brought back by the lost-prompt recovery, an activity retry or a restarted GPU worker.
 *
 * Why the order closes every race: the GPU activity records its prompt id on the row only if no stop
 * is written (one conditional UPDATE), submits, and then checks once more. The stop writes the mark,
 * then reads the prompt id. Either the mark comes first and nothing is submitted, or the prompt id
 * is on the row when the stop reads it (so the stop deletes or interrupts it), and should the stop
 * reach the instance before the submit does, the check after submitting finds the mark.
 */
import type { ComfyInstance } from "../../lib/config";
import { FINAL_STATUSES } from "../../domain/generation";
import type { PrismaClient } from "../../lib/db/generated/client";
import { getComfyClient } from "./client";

export function createInterruptActivities(deps: { prisma: PrismaClient; instances: ComfyInstance[] }) {
  return {
    /**
     * Marks the generation's GPU work stopped, then interrupts its prompt if it runs (only that
     * prompt: the interrupt names it, so it can never stop another user's photo) or removes it
     * from the instance's queue if it waits.
     */
    async stopGpuWork(input: { generationId: string }): Promise<"interrupted" | "deleted" | "finished" | "missing" | "not-started"> {
      await deps.prisma.generation.updateMany({ where: { id: input.generationId, gpuStoppedAt: null }, data: { gpuStoppedAt: new Date() } });
      const g = await deps.prisma.generation.findUnique({ where: { id: input.generationId }, select: { instance: true, requestId: true } });
      const instance = deps.instances.find((i) => i.name === g?.instance);
      if (!g?.requestId || !instance) return "not-started";
      return getComfyClient(instance).cancel(g.requestId);
    },
  };
}

/** What the GPU activity asks the database before sending a prompt to its instance. */
export interface GpuStopGate {
  /**
   * Records `promptId` as the generation's prompt unless its GPU work was stopped or it has ended;
   * false means: do not submit.
   */
  claim(generationId: string, promptId: string): Promise<boolean>;
  /** True once the generation's GPU work was stopped or the generation has ended. */
  stopped(generationId: string): Promise<boolean>;
  /** The prompt id last claimed for the generation, if any. */
  claimedPrompt(generationId: string): Promise<string | undefined>;
}

export function createGpuStopGate(prisma: PrismaClient): GpuStopGate {
  const stopped = (g: { status: string; gpuStoppedAt: Date | null }) => g.gpuStoppedAt !== null || (FINAL_STATUSES as readonly string[]).includes(g.status);
  return {
    async claim(generationId, promptId) {
      const claimed = await prisma.generation.updateMany({
        where: { id: generationId, gpuStoppedAt: null, status: { notIn: [...FINAL_STATUSES] } },
        data: { requestId: promptId },
      });
      if (claimed.count > 0) return true;
      // A GPU job with no record (started by hand) has nobody to stop it here.
      return !(await prisma.generation.findUnique({ where: { id: generationId }, select: { id: true } }));
    },
    async claimedPrompt(generationId) {
      const g = await prisma.generation.findUnique({ where: { id: generationId }, select: { requestId: true } });
      return g?.requestId ?? undefined;
    },
    async stopped(generationId) {
      const g = await prisma.generation.findUnique({ where: { id: generationId }, select: { status: true, gpuStoppedAt: true } });
      return g ? stopped(g) : false;
    },
  };
}
