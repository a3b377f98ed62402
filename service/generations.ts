/**
 * Any generation, whatever its kind: read it, cancel it, run it again. REST, the WebSocket and the
 * flows all come here, so there is one cancel and one retry.
 */
import { WorkflowNotFoundError } from "@temporalio/client";
import { isFinal, isReopenable, reopenedGeneration } from "../domain/generation";
import { rerunWorkflow, waitUntilClosed } from "../lib/temporal/rerun";
import type { ServiceDeps } from "./deps";
import { notFound, ServiceRefusal } from "./errors";
import { explainTemporalFailure } from "./startGeneration";
import { generationView } from "./views";

export function generationService(deps: ServiceDeps) {
  const { prisma, temporal } = deps;

  /** The tenant's generation, or not found (another tenant's id is as unknown as a missing one). */
  async function load(tenantId: string, id: string) {
    const g = await prisma.generation.findFirst({ where: { id, tenantId }, include: { images: { orderBy: { outputIndex: "asc" } } } });
    if (!g) throw notFound("Generation", id);
    return g;
  }

  return {
    async get(tenantId: string, id: string) {
      return generationView(deps.signer, await load(tenantId, id));
    },

    /**
     * The generation's latest live preview (a small WebP). With a tenant, only that tenant's; without
     * one (a signed URL, whose signature already named the generation), any.
     */
    async preview(r: { generationId: string; tenantId?: string }) {
      const p = await prisma.generationPreview.findFirst({
        where: { generationId: r.generationId, ...(r.tenantId ? { generation: { tenantId: r.tenantId } } : {}) },
      });
      if (!p) throw new ServiceRefusal("not_found", "not_found", `Generation "${r.generationId}" has no preview (none yet, or it does not exist)`);
      return { bytes: p.bytes, version: p.version, step: p.step, of: p.of, width: p.width, height: p.height, etag: `"${r.generationId}-preview-${p.version}"` };
    },

    /** Throws not found unless the tenant has this generation (before streaming its events). */
    async assertExists(tenantId: string, id: string, what = "Generation"): Promise<void> {
      const g = await prisma.generation.findFirst({ where: { id, tenantId }, select: { id: true } });
      if (!g) throw notFound(what, id);
    },

    /**
     * Cancels through the workflow: its cancellation reaches the GPU activity through its heartbeat
     * (the prompt is interrupted, or removed from the instance's queue) and the workflow records
     * `cancelled` with its `image:cancelled` event — the same end as an operator's cancel in the
     * Temporal Web UI. A record whose workflow no longer exists is closed here instead.
     */
    async cancel(tenantId: string, id: string): Promise<{ id: string; status: "cancelling" }> {
      const g = await load(tenantId, id);
      if (isFinal(g.status)) throw new ServiceRefusal("conflict", "already_finished", `Generation "${g.id}" is already ${g.status}`);
      try {
        await temporal.workflow.getHandle(g.workflowId).cancel();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) {
          throw new ServiceRefusal("unavailable", "orchestrator_unavailable", `Could not cancel the generation: ${explainTemporalFailure(temporal, err)}`);
        }
        await deps.records.cancelGeneration({ generationId: g.id });
      }
      return { id: g.id, status: "cancelling" };
    },

    /** Runs a failed or cancelled generation's workflow again, with the input of its last run. */
    async retry(tenantId: string, id: string): Promise<{ id: string; status: "pending" }> {
      const g = await load(tenantId, id);
      const conflict = (message: string) => new ServiceRefusal("conflict", "not_retryable", message);
      if (!isReopenable(g.status)) throw conflict(`Only failed or cancelled generations can be retried; "${g.id}" is ${g.status}`);
      // The record turns final a moment before the workflow run closes (it still releases the
      // user's slot); let that run finish so the retry can reuse the workflow id.
      if (!(await waitUntilClosed(temporal, g.workflowId))) throw conflict(`Generation "${g.id}" is still shutting down; try again in a few seconds`);
      const reset = await prisma.generation.updateMany({ where: { id: g.id, status: g.status }, data: reopenedGeneration() });
      if (reset.count === 0) throw conflict(`Generation "${g.id}" changed state meanwhile; try again`);
      try {
        await rerunWorkflow(temporal, g.workflowId);
      } catch (err) {
        // Nothing ran: put the record back as it was.
        await prisma.generation.update({
          where: { id: g.id },
          data: { status: g.status, errorMessage: g.errorMessage, completedMessageId: g.completedMessageId, completedAt: g.completedAt },
        });
        throw new ServiceRefusal("unavailable", "orchestrator_unavailable", `Could not restart the generation: ${explainTemporalFailure(temporal, err)}`);
      }
      return { id: g.id, status: "pending" };
    },

    /** Where a generation was delivered (Telegram, webhook), with attempts and errors. */
    async deliveries(tenantId: string, id: string) {
      const g = await prisma.generation.findFirst({ where: { id, tenantId }, select: { id: true } });
      if (!g) throw notFound("Generation", id);
      const rows = await prisma.delivery.findMany({ where: { generationId: g.id }, orderBy: { createdAt: "asc" } });
      return {
        deliveries: rows.map((d) => ({
          id: d.id,
          channel: d.channel,
          target: d.target,
          status: d.status,
          attempts: d.attempts,
          lastError: d.lastError,
          externalId: d.externalId,
          deliveredAt: d.deliveredAt?.toISOString() ?? null,
        })),
      };
    },
  };
}
