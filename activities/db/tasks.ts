/**
 * Records of generic tasks (flows started through POST /v1/tasks that are not chat photos): the
 * generation row with its inputs, the step log (`Generation.stepResults`, mirrored as `task:update`
 * events) and the final result. Every write is idempotent per generation and step key, because
 * Temporal may run an activity again.
 */
import type { Prisma, PrismaClient } from "../../lib/db/generated/client";
import type { StepResult, TaskStepPayload } from "../../lib/live/taskState";
import { FINAL_STATUSES, isFinal, type TaskRecord } from "../../domain/generation";
import type { TaskImage } from "../../domain/variations";
import { eventRow, type EventScope } from "./events";
import { pendingGenerationRow } from "./generations";


export type BeginTaskInput = TaskRecord;

export interface TaskStepInput extends TaskStepPayload {
  generationId: string;
  /** Unique within the task: a rerun of the same step writes nothing. */
  key: string;
}

export type { TaskImage };

interface KeyedStep {
  key: string;
  step?: StepResult;
}

export function createTaskRecords(deps: { prisma: PrismaClient; imageUrls(imageId: string): { url: string; thumbnailUrl: string } }) {
  const { prisma } = deps;
  const scopeOf = (g: { id: string; tenantId: string }): EventScope => ({ tenantId: g.tenantId, generationId: g.id });

  return {
    async beginTask(input: BeginTaskInput): Promise<void> {
      const scope = { tenantId: input.tenantId, generationId: input.generationId };
      try {
        await prisma.$transaction([
          prisma.generation.create({
            data: {
              ...pendingGenerationRow(input),
              prompt: input.prompt,
              inputs: input.inputs as Prisma.InputJsonValue,
              stepResults: [],
            },
          }),
          prisma.event.createMany({ data: [eventRow(scope, "image:queued", { generationId: input.generationId, description: input.description })] }),
        ]);
      } catch (err) {
        // The API and the workflow both record the task; the second one finds it there.
        if ((err as { code?: string }).code !== "P2002") throw err;
      }
    },

    async recordTaskStep(input: TaskStepInput): Promise<void> {
      await prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT 1 FROM "Generation" WHERE id = ${input.generationId} FOR UPDATE`;
        const g = await tx.generation.findUniqueOrThrow({ where: { id: input.generationId } });
        const steps = (g.stepResults ?? []) as unknown as KeyedStep[];
        if (isFinal(g.status) || steps.some((s) => s.key === input.key)) return;
        const { generationId: _, key, ...payload } = input;
        await tx.generation.update({
          where: { id: g.id },
          data: { stepResults: [...steps, { key, ...(payload.step ? { step: payload.step } : {}) }] as unknown as Prisma.InputJsonValue },
        });
        await tx.event.createMany({ data: [eventRow(scopeOf(g), "task:update", payload as Record<string, unknown>)] });
      });
    },

    async completeTask(input: { generationId: string; imageIds: string[]; gpuMs: number }): Promise<TaskImage[]> {
      const images = await prisma.image.findMany({ where: { id: { in: input.imageIds } }, orderBy: { outputIndex: "asc" } });
      const result: TaskImage[] = images.map((img) => ({
        imageId: img.id,
        ...deps.imageUrls(img.id),
        width: img.width,
        height: img.height,
        seed: img.seed === null ? null : Number(img.seed),
      }));
      await prisma.$transaction(async (tx) => {
        const done = await tx.generation.updateMany({
          where: { id: input.generationId, status: { notIn: [...FINAL_STATUSES] } },
          data: { status: "completed", completedAt: new Date(), progressPercent: 100, gpuMs: input.gpuMs, finalResult: { images: result } as unknown as Prisma.InputJsonValue },
        });
        if (done.count === 0) return;
        const g = await tx.generation.findUniqueOrThrow({ where: { id: input.generationId } });
        await tx.event.createMany({
          data: [eventRow(scopeOf(g), "image:completed", { generationId: g.id, message: null, images: result, final: { images: result } })],
        });
      });
      return result;
    },

    async failTask(input: { generationId: string; error: string }): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const failed = await tx.generation.updateMany({
          where: { id: input.generationId, status: { notIn: [...FINAL_STATUSES] } },
          data: { status: "failed", completedAt: new Date(), errorMessage: input.error.slice(0, 2000) },
        });
        if (failed.count === 0) return;
        const g = await tx.generation.findUniqueOrThrow({ where: { id: input.generationId } });
        await tx.event.createMany({ data: [eventRow(scopeOf(g), "image:failed", { generationId: g.id, message: null, error: input.error })] });
      });
    },
  };
}

export type TaskRecordActivities = ReturnType<typeof createTaskRecords>;
