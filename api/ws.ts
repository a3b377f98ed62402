/**
 * GET /v1/ws — the realtime WebSocket. Auth by `?token=<api key>` or a first message
 * `{ type: "auth", token }`; then `subscribe { topics }`, `resume { since }`, `ping { timestamp }`,
 * `generation:cancel { id }`, `generation:regenerate { id }`. Events are the ones SSE carries, each with its `eventId`, plus
 * `task:update { task_id, state, details }` for `task:<id>` topics.
 *
 * Dead sockets: Bun pings idle connections and closes those that stay silent (idleTimeout).
 * Slow ones: each session bounds what is queued for it (lib/live/socketSession.ts).
 */
import { Elysia, t } from "elysia";
import { SocketSession } from "../lib/live/socketSession";
import { bearerToken } from "./auth";
import type { ApiContext } from "./context";
import { log } from "../lib/log";

/** Seconds of silence before Bun pings a socket, and again before it closes one that never answers. */
const IDLE_TIMEOUT_S = 30;

export function realtimeRoutes(ctx: ApiContext) {
  const sessions = new Map<string, SocketSession>();
  // The same cancel as REST's: its refusals (unknown id, already finished) reach the client as messages.
  const cancelGeneration = async (tenantId: string, generationId: string) => void (await ctx.service.generations.cancel(tenantId, generationId));
  // And the same regenerate: the client gets the new generation and its waiting message back.
  const regenerateGeneration = (tenantId: string, generationId: string) => ctx.service.regenerations.regenerate(tenantId, generationId);

  return new Elysia({ tags: ["Realtime"] }).ws("/v1/ws", {
    query: t.Object({ token: t.Optional(t.String({ maxLength: 500 })) }),
    idleTimeout: IDLE_TIMEOUT_S,
    sendPings: true,
    // The session closes a lagging client itself, with a reason it can act on; this is the backstop.
    backpressureLimit: 4 << 20,
    closeOnBackpressureLimit: true,
    // OpenAPI has no WebSocket operations; the document describes this one under `x-websocket`.
    detail: { hide: true, summary: "Realtime events over WebSocket (subscribe to agent:, user:, dialog:, generation:, task: topics; resume since an eventId)" },
    open(ws) {
      const session = new SocketSession(
        { hub: ctx.liveEvents, resolveTenant: ctx.resolveTenant, cancelGeneration, regenerateGeneration },
        {
          send: (text) => void ws.raw.send(text),
          // Bun's socket has it; Elysia's portable type leaves it out.
          bufferedAmount: () => (ws.raw as unknown as { getBufferedAmount(): number }).getBufferedAmount(),
          close: (code, reason) => ws.raw.close(code, reason),
        },
      );
      sessions.set(ws.id, session);
      const token = ws.data.query.token ?? bearerToken(ws.data.headers?.authorization);
      void session.open(token).catch(() => session.close(1011, "authentication failed"));
    },
    message(ws, message) {
      const session = sessions.get(ws.id);
      void session?.handle(message as string | object).catch((err) => log().warn({ error: (err as Error).message }, "websocket message failed"));
    },
    close(ws) {
      sessions.get(ws.id)?.dispose();
      sessions.delete(ws.id);
    },
  });
}
