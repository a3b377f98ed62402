/**
 * Appends to the event log that SSE and WebSocket clients read. Events are written in the same
 * transaction as the state change they describe, so a client never sees one without the other.
 */
import type { Prisma } from "../../lib/db/generated/client";

export type EventType =
  | "image:queued"
  | "image:progress"
  | "image:preview"
  | "image:completed"
  | "image:failed"
  | "image:cancelled"
  | "message:new"
  | "task:update";

export interface EventScope {
  tenantId: string;
  generationId?: string | null;
  agentId?: string | null;
  userId?: string | null;
  dialogId?: string | null;
}

export function eventRow(scope: EventScope, type: EventType, payload: Record<string, unknown>): Prisma.EventCreateManyInput {
  return {
    tenantId: scope.tenantId,
    type,
    generationId: scope.generationId ?? null,
    agentId: scope.agentId ?? null,
    userId: scope.userId ?? null,
    dialogId: scope.dialogId ?? null,
    payload: payload as Prisma.InputJsonValue,
  };
}
