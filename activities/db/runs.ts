/**
 * Which workflow run a record-keeping activity works for, and reopening a generation that an
 * earlier run of the same workflow finished. An operator's reset in the Temporal Web UI starts a
 * new run of a failed or cancelled generation without going through the API; the new run's first
 * write reopens the record, so its completion is written instead of being mistaken for a rerun of
 * the old run's apology. Within one run a finished record is never reopened: a late or retried
 * activity of that run leaves it alone.
 */
import { Context } from "@temporalio/activity";
import type { PrismaClient } from "../../lib/db/generated/client";
import { FINAL_EVENT_TYPES, isReopenable, reopenedGeneration } from "../../domain/generation";

/** The run id of the workflow the current activity serves; undefined outside an activity (the API, scripts). */
export function currentRunId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.runId;
  } catch {
    return undefined;
  }
}

/** Reopens the generation when an earlier run finished it as failed or cancelled; true when it did. */
export async function reopenIfEndedByEarlierRun(prisma: PrismaClient, generationId: string): Promise<boolean> {
  const runId = currentRunId();
  if (!runId) return false;
  const g = await prisma.generation.findUnique({ where: { id: generationId }, select: { status: true } });
  if (!g || !isReopenable(g.status)) return false;
  const ending = await prisma.event.findFirst({
    where: { generationId, type: { in: [...FINAL_EVENT_TYPES] } },
    orderBy: { id: "desc" },
    select: { payload: true },
  });
  const endedBy = (ending?.payload as { runId?: unknown } | null | undefined)?.runId;
  // Unknown origin (e.g. cancelled by the API while no workflow existed): leave it to the API's retry.
  if (typeof endedBy !== "string" || endedBy === runId) return false;
  const reopened = await prisma.generation.updateMany({ where: { id: generationId, status: g.status }, data: reopenedGeneration() });
  return reopened.count > 0;
}
