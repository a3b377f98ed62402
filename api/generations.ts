/** Any generation, whatever its kind: status, cancel, retry and its live event stream. */
import { Elysia, t } from "elysia";
import { rerunWorkflow, waitUntilClosed } from "../lib/temporal/rerun";
import { TERMINAL_EVENT_TYPES, TERMINAL_STATUSES, reopenedGeneration } from "../domain/generation";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { HttpError, notFound } from "./errors";
import { eventStream } from "./sse";
import { generationView } from "./views";

const TERMINAL = new Set<string>(TERMINAL_STATUSES);
const TERMINAL_EVENTS = new Set<string>(TERMINAL_EVENT_TYPES);
const GenerationId = t.Object({ id: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) });

export function generationRoutes(ctx: ApiContext) {
  const load = async (tenantId: string, id: string) => {
    // Another tenant's id is indistinguishable from an unknown one: 404, never 403.
    const g = await ctx.prisma.generation.findFirst({ where: { id, tenantId }, include: { images: { orderBy: { outputIndex: "asc" } } } });
    if (!g) throw notFound("Generation", id);
    return g;
  };

  return new Elysia({ prefix: "/v1/generations", tags: ["Generations"] })
    .use(authPlugin(ctx.resolveTenant))
    .get("/:id", async ({ params, tenantId }) => generationView(ctx, await load(tenantId, params.id)), {
      params: GenerationId,
      detail: { summary: "A generation's status, progress and images" },
    })
    .post(
      "/:id/cancel",
      async ({ params, tenantId, set }) => {
        const g = await load(tenantId, params.id);
        if (TERMINAL.has(g.status)) throw new HttpError(409, "already_finished", `Generation "${g.id}" is already ${g.status}`);
        try {
          // The workflow's cancellation reaches the GPU activity through its heartbeat: the prompt is
          // interrupted (or removed from the instance queue) and the record becomes `cancelled`.
          await ctx.temporal.workflow.getHandle(g.workflowId).cancel();
        } catch (err) {
          if ((err as Error).name !== "WorkflowNotFoundError") throw err;
          await ctx.prisma.generation.updateMany({
            where: { id: g.id, status: { notIn: [...TERMINAL] } },
            data: { status: "cancelled", completedAt: new Date() },
          });
        }
        set.status = 202;
        return { id: g.id, status: "cancelling" };
      },
      { params: GenerationId, detail: { summary: "Cancel: interrupts or dequeues the GPU work (409 when already finished)" } },
    )
    .post(
      "/:id/retry",
      async ({ params, tenantId, set }) => {
        const g = await load(tenantId, params.id);
        if (g.status !== "failed" && g.status !== "cancelled") {
          throw new HttpError(409, "not_retryable", `Only failed or cancelled generations can be retried; "${g.id}" is ${g.status}`);
        }
        // The record turns terminal a moment before the workflow run closes (it still releases the
        // user's slot); let that run finish so the retry can reuse the workflow id.
        if (!(await waitUntilClosed(ctx.temporal, g.workflowId))) throw new HttpError(409, "not_retryable", `Generation "${g.id}" is still shutting down; try again in a few seconds`);
        const reset = await ctx.prisma.generation.updateMany({
          where: { id: g.id, status: g.status },
          data: reopenedGeneration(),
        });
        if (reset.count === 0) throw new HttpError(409, "not_retryable", `Generation "${g.id}" changed state meanwhile; try again`);
        try {
          await rerunWorkflow(ctx.temporal, g.workflowId);
        } catch (err) {
          await ctx.prisma.generation.update({
            where: { id: g.id },
            data: { status: g.status, errorMessage: g.errorMessage, completedMessageId: g.completedMessageId, completedAt: g.completedAt },
          });
          throw new HttpError(503, "orchestrator_unavailable", `Could not restart the generation: ${(err as Error).message}`);
        }
        set.status = 202;
        return { id: g.id, status: "pending" };
      },
      { params: GenerationId, detail: { summary: "Retry a failed or cancelled generation (409 otherwise)" } },
    )
    .get(
      "/:id/events",
      async ({ params, tenantId, headers, request }) => {
        await load(tenantId, params.id);
        const last = headers["last-event-id"];
        const afterId = last && /^\d{1,18}$/.test(last) ? BigInt(last) : 0n;
        return eventStream({
          hub: ctx.liveEvents,
          prisma: ctx.prisma,
          tenantId,
          generationId: params.id,
          afterId,
          isTerminal: (type) => TERMINAL_EVENTS.has(type),
          signal: request.signal,
        });
      },
      { params: GenerationId, detail: { summary: "Server-Sent Events for this generation; honours Last-Event-ID and ends after the final event" } },
    );
}
