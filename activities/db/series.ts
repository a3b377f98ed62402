/**
 * The angle series' records: the Series row and one Generation per angle, each state
 * change written with its event in one transaction. Every activity is idempotent (keyed by the
 * session id or generation id): Temporal may run any of them again.
 */
import type { PrismaClient } from "../../lib/db/generated/client";
import { anglePrompt, subjectText, type Angle } from "../../domain/angles";
import type { SeriesSubject } from "../../domain/seriesIdentity";
import type { AskLlm } from "../imagePrompt";
import type { AngleSeriesRecord, BegunAngle, SeriesAngleJob } from "../../domain/angleSeries";
import { FINAL_STATUSES, isFinal, type SeriesStatus } from "../../domain/generation";
import { eventRow, type EventScope } from "./events";

export type { BegunAngle, SeriesAngleJob, SeriesStatus };
export type BeginAngleSeriesInput = AngleSeriesRecord;

const scopeOf = (g: { id: string; tenantId: string }): EventScope => ({ tenantId: g.tenantId, generationId: g.id });

/** Only subjects with letters outside ASCII need the LLM: an English subject is already a prompt. */
const needsTranslation = (text: string) => /[^\u0000-\u007f]/.test(text);

export function createSeriesActivities(deps: { prisma: PrismaClient; askLlm?: AskLlm; budgetMs: number }) {
  const { prisma } = deps;

  /** The subject in English for the prompt; the original when no LLM is configured or it is slow. */
  async function subjectForPrompt(subject: SeriesSubject): Promise<string> {
    const original = subjectText(subject);
    if (!deps.askLlm || !needsTranslation(original)) return original;
    const answer = await deps
      .askLlm(
        "Translate this car description into English for a text-to-image prompt. Keep brand and model names as they are. " +
          "Answer with the translation only: no quotes, no explanations.",
        original,
        deps.budgetMs,
      )
      .catch(() => undefined);
    const cleaned = answer?.replace(/\s+/g, " ").trim();
    return cleaned && cleaned.length <= 300 ? cleaned : original;
  }

  async function begunAngles(sessionId: string, tenantId: string): Promise<BegunAngle[]> {
    const rows = await prisma.generation.findMany({ where: { tenantId, seriesId: sessionId }, orderBy: { createdAt: "asc" } });
    return rows.map((g) => ({
      angle: g.angle as Angle,
      generationId: g.id,
      workflowId: g.workflowId,
      seed: Number(g.seed),
      isMain: g.isMain,
      prompt: g.prompt ?? "",
    }));
  }

  return {
    /** Writes the series and one pending generation per angle (once) and returns each angle's prompt. */
    async beginAngleSeries(input: BeginAngleSeriesInput): Promise<BegunAngle[]> {
      const existing = await prisma.series.findUnique({ where: { tenantId_sessionId: { tenantId: input.tenantId, sessionId: input.sessionId } } });
      if (existing) return begunAngles(input.sessionId, input.tenantId);
      const subject = await subjectForPrompt(input.subject);
      const description = subjectText(input.subject);
      const now = Date.now();
      const write = prisma.$transaction([
        prisma.series.create({
          data: {
            id: input.sessionId,
            tenantId: input.tenantId,
            sessionId: input.sessionId,
            subject: input.subject as object,
            nonce: input.nonce,
            angles: input.angles.map((a) => a.angle),
            status: "generating",
            workflowId: input.workflowId,
          },
        }),
        prisma.generation.createMany({
          data: input.angles.map((a, i) => ({
            id: a.generationId,
            tenantId: input.tenantId,
            kind: "angle_series",
            status: "pending",
            description: `${description}, ${a.angle}`,
            prompt: anglePrompt(subject, a.angle),
            negativePrompt: input.negativePrompt,
            seed: BigInt(a.seed),
            width: input.width,
            height: input.height,
            template: input.template,
            workflowId: a.workflowId,
            seriesId: input.sessionId,
            angle: a.angle,
            isMain: a.isMain,
            // Request order is display order.
            createdAt: new Date(now + i),
          })),
        }),
        prisma.event.createMany({
          data: input.angles.map((a) =>
            eventRow({ tenantId: input.tenantId, generationId: a.generationId }, "image:queued", {
              generationId: a.generationId,
              seriesId: input.sessionId,
              angle: a.angle,
            }),
          ),
        }),
      ]);
      // The API and the workflow's first step may write at the same moment: the loser reads the winner's rows.
      await write.catch((err: unknown) => {
        if ((err as { code?: string }).code !== "P2002") throw err;
      });
      return begunAngles(input.sessionId, input.tenantId);
    },

    async markAngleGenerating(input: { generationId: string; provider: "comfyui" | "horde"; instance?: string }): Promise<void> {
      await prisma.generation.updateMany({
        where: { id: input.generationId, status: { notIn: [...FINAL_STATUSES] } },
        data: { status: "generating", provider: input.provider, instance: input.instance ?? null, startedAt: new Date(), queuePosition: null },
      });
    },

    /** Queue position and ETA from a provider that reports them (AI Horde), as progress. */
    async recordQueueProgress(input: { generationId: string; requestId: string; percent: number; queuePosition: number; etaSeconds: number }): Promise<void> {
      const g = await prisma.generation.findUnique({ where: { id: input.generationId } });
      if (!g || isFinal(g.status)) return;
      const percent = Math.max(g.progressPercent, Math.min(99, Math.max(0, Math.round(input.percent))));
      await prisma.$transaction([
        prisma.generation.update({
          where: { id: g.id },
          data: { progressPercent: percent, queuePosition: input.queuePosition, etaSeconds: input.etaSeconds, requestId: input.requestId },
        }),
        prisma.event.createMany({
          data: [
            eventRow(scopeOf(g), "image:progress", {
              generationId: g.id,
              percent,
              queuePosition: input.queuePosition,
              etaSeconds: input.etaSeconds,
            }),
          ],
        }),
      ]);
    },

    async completeSeriesAngle(input: { generationId: string; imageIds: string[]; gpuMs: number; provider: string; instance?: string; requestId?: string }): Promise<void> {
      const g = await prisma.generation.findUniqueOrThrow({ where: { id: input.generationId } });
      if (g.status === "completed") return;
      await prisma.$transaction([
        prisma.generation.update({
          where: { id: g.id },
          data: {
            status: "completed",
            provider: input.provider,
            instance: input.instance ?? g.instance,
            requestId: input.requestId ?? g.requestId,
            completedAt: new Date(),
            progressPercent: 100,
            queuePosition: null,
            etaSeconds: null,
            gpuMs: input.gpuMs,
            errorMessage: null,
          },
        }),
        prisma.event.createMany({
          data: [eventRow(scopeOf(g), "image:completed", { generationId: g.id, seriesId: g.seriesId, angle: g.angle, imageIds: input.imageIds })],
        }),
      ]);
    },

    async failSeriesAngle(input: { generationId: string; error: string }): Promise<void> {
      const g = await prisma.generation.findUniqueOrThrow({ where: { id: input.generationId } });
      if (isFinal(g.status)) return;
      await prisma.$transaction([
        prisma.generation.update({
          where: { id: g.id },
          data: { status: "failed", errorMessage: input.error.slice(0, 2000), completedAt: new Date(), queuePosition: null, etaSeconds: null },
        }),
        prisma.event.createMany({
          data: [eventRow(scopeOf(g), "image:failed", { generationId: g.id, seriesId: g.seriesId, angle: g.angle, error: input.error })],
        }),
      ]);
    },

    /** The series' outcome from its angles: all made, some made, none made, or all cancelled. */
    async finishAngleSeries(input: { sessionId: string; tenantId: string }): Promise<SeriesStatus> {
      const angles = await prisma.generation.findMany({ where: { tenantId: input.tenantId, seriesId: input.sessionId }, select: { status: true } });
      const count = (s: string) => angles.filter((a) => a.status === s).length;
      const status: SeriesStatus =
        count("completed") === angles.length
          ? "completed"
          : count("completed") > 0
            ? "partial"
            : count("cancelled") === angles.length
              ? "cancelled"
              : "failed";
      await prisma.series.updateMany({
        where: { tenantId: input.tenantId, sessionId: input.sessionId, completedAt: null },
        data: { status, completedAt: new Date() },
      });
      return status;
    },
  };
}

export type SeriesActivities = ReturnType<typeof createSeriesActivities>;
