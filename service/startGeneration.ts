/**
 * How every flow starts its work — one contract, written down once:
 *
 * 1. Build the workflow input (pure; ids, seeds and the waiting message are decided here, before
 *    the start, so a replay never re-draws them).
 * 2. Start the workflow: one round trip to Temporal, no waiting on a worker. The id is the
 *    generation's (or series') own, so a second start either fails (`FAIL`) or joins the run
 *    already there (`USE_EXISTING`).
 * 3. Write the first records, for read-your-writes: the caller's answer can be read at once.
 *    A refused start has written nothing. (The chat reply writes its rows in one statement, so
 *    this step is one more round trip, with no transaction held open across the start.)
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

/** The first records, written once the start succeeded. */
export type FirstRecords<R> = () => Promise<R>;

export async function startGeneration<W extends Workflow, R>(
  deps: { temporal: Client; tenantPriority: TenantPriority },
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
  await startWorkflow();
  return recordFirst();
}
