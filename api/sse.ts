/**
 * Server-Sent Events over the event log: replays what the client missed (Last-Event-ID), then
 * follows new events until a terminal one. Reading the log rather than process memory means any
 * API process can serve any client, and a reconnect loses nothing.
 */
import type { PrismaClient } from "../lib/db/generated/client";

const POLL_MS = 100;
const KEEPALIVE_MS = 15_000;

export function eventStream(opts: {
  prisma: PrismaClient;
  tenantId: string;
  generationId: string;
  afterId: bigint;
  isTerminal(type: string): boolean;
  /** Already finished before the stream opened and nothing newer to send: end at once. */
  signal?: AbortSignal;
}): Response {
  const encoder = new TextEncoder();
  let cursor = opts.afterId;
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        controller.close();
      };
      opts.signal?.addEventListener("abort", close);
      send(": darkroom event stream\nretry: 1000\n\n");
      let lastWrite = Date.now();
      while (!closed) {
        const events = await opts.prisma.event.findMany({
          where: { tenantId: opts.tenantId, generationId: opts.generationId, id: { gt: cursor } },
          orderBy: { id: "asc" },
          take: 200,
        });
        for (const e of events) {
          cursor = e.id;
          const payload = { eventId: Number(e.id), type: e.type, ...(e.payload as object) };
          send(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(payload)}\n\n`);
          lastWrite = Date.now();
          if (opts.isTerminal(e.type)) return close();
        }
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          send(": keepalive\n\n");
          lastWrite = Date.now();
        }
        if (events.length < 200) await Bun.sleep(POLL_MS);
      }
    },
    cancel() {
      closed = true;
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}
