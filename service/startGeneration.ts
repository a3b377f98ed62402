/**
 * How every flow starts its work — one contract, written down once:
 *
 * 1. Build the workflow input (pure; ids, seeds and the waiting message are decided here, before
 *    the start, so a replay never re-draws them).
 * 2. Start the workflow: one round trip to Temporal, no waiting on a worker. The id is the
 *    generation's (or series') own, so a second start either fails (`FAIL`) or joins the run
 *    already there (`USE_EXISTING`).
 * 3. Write the first records, for read-your-writes: the caller's answer can be read at once.
 *    The hot path (a chat reply) writes them *while* the start is in flight, in a transaction that
 *    commits only once the start succeeded: the answer waits for the slower of the two, not both in
 *    turn, and a refused start still leaves nothing written.
 *
 * The workflow's first step writes the very same records, built from its input by the same pure
 * function (`companionPhotoRecord`, `chatImageRecord`, `angleSeriesRecord`, `variationsRecord`),
 * with writes that are idempotent per id. So if this process dies between 2 and 3 nothing is lost,
 * and if 2 fails nothing was written.
 *
 * Every start carries the tenant's Temporal priority (tier, fairness key = tenant, weight); the
 * workflow's activities inherit it, GPU jobs included, so backlogs are served by tier and shared
 * fairly between tenants by the server's own matching.
 */
import type { Client, WorkflowStartOptions } from "@temporalio/client";
import type { Workflow } from "@temporalio/common";
import type { Prisma, PrismaClient } from "../lib/db/generated/client";
import type { SearchAttributePair } from "@temporalio/common/lib/search-attributes";
import { DarkroomKind, DarkroomStatus, DarkroomTenant, searchAttributeNames } from "../domain/searchAttributes";
import { explainStartFailure } from "../lib/temporal/startFailure";
import { errorText, generationIdOf, log } from "../lib/log";
import type { GenerationKind } from "../domain/generation";
import { ServiceRefusal } from "./errors";
import type { TenantPriority } from "./tenantScheduling";

export interface GenerationStart<W extends Workflow> {
  workflow: W;
  workflowId: string;
  taskQueue: string;
  input: Parameters<W>[0];
  tenantId: string;
  kind: GenerationKind;
  /** More search attributes than tenant, kind and status, for operators' queries. */
  searchAttributes?: SearchAttributePair[];
  /** A second start of the same id: refuse it, or join the run already there. */
  onConflict: "fail" | "join";
}

/** What Temporal's refusal means for an operator (a missing search attribute names the command to run). */
export function explainTemporalFailure(temporal: Client, err: unknown): string {
  return explainStartFailure(err, {
    namespace: temporal.options.namespace,
    address: (temporal.connection as { options?: { address?: string } }).options?.address,
    searchAttributes: searchAttributeNames,
  });
}

/**
 * The first records: written after the start succeeded, or alongside it (`alongside`, in a
 * transaction; `started` is called once the workflow runs, before the commit).
 */
export type FirstRecords<R> = (() => Promise<R>) | { alongside: (tx: Prisma.TransactionClient) => Promise<R>; started?: () => void };

export async function startGeneration<W extends Workflow, R>(
  deps: { temporal: Client; tenantPriority: TenantPriority; prisma: PrismaClient },
  start: GenerationStart<W>,
  recordFirst: FirstRecords<R>,
): Promise<R> {
  const temporal = deps.temporal;
  const priority = await deps.tenantPriority(start.tenantId);
  const options = {
    priority,
    workflowId: start.workflowId,
    taskQueue: start.taskQueue,
    args: [start.input],
    workflowIdConflictPolicy: start.onConflict === "fail" ? "FAIL" : "USE_EXISTING",
    typedSearchAttributes: [
      { key: DarkroomTenant, value: start.tenantId },
      { key: DarkroomKind, value: start.kind },
      { key: DarkroomStatus, value: "pending" },
      ...(start.searchAttributes ?? []),
    ],
  } as unknown as WorkflowStartOptions<W>;
  const ids = { tenantId: start.tenantId, workflowId: start.workflowId, generationId: generationIdOf(start.workflowId), kind: start.kind };
  const startWorkflow = async () => {
    try {
      await temporal.workflow.start(start.workflow, options);
    } catch (err) {
      log().warn({ ...ids, error: errorText(err) }, "workflow start failed");
      throw new ServiceRefusal("unavailable", "orchestrator_unavailable", `Could not start the ${start.kind.replace(/_/g, " ")}: ${explainTemporalFailure(temporal, err)}`);
    }
    log().info(ids, "generation started");
  };
  if (typeof recordFirst === "function") {
    await startWorkflow();
    return recordFirst();
  }
  return deps.prisma.$transaction(async (tx) => {
    // Both settle before the transaction ends: a failed start rolls back what was written meanwhile.
    const [started, written] = await Promise.allSettled([startWorkflow(), recordFirst.alongside(tx)]);
    if (started.status === "rejected") throw started.reason;
    recordFirst.started?.();
    if (written.status === "rejected") throw written.reason;
    return written.value;
  });
}
