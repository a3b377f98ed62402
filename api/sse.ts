/**
 * Server-Sent Events over the event log: replays what the client missed (Last-Event-ID), then
 * follows new events live through the process's event hub (woken by PostgreSQL NOTIFY) until a
 * terminal one. Any API process can serve any client, and a reconnect loses nothing.
 *
 * A client that stops reading is cut off once too much is queued for it (it reconnects with
 * Last-Event-ID and misses nothing); it never holds up delivery to anyone else.
 */
import { clientEvent, type EventHub, type LogEvent } from "../lib/live/eventHub";
import { follow, type Following } from "../lib/live/follow";
import { TaskFold, TERMINAL_TASK_STATES } from "../lib/live/taskState";
import { pythonJson } from "../lib/live/pythonJson";
import { log } from "../lib/log";

const KEEPALIVE_MS = 15_000;
/** Bytes queued for one client before it is cut off and left to reconnect. */
const MAX_QUEUED_BYTES = 1 << 20;

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" };

interface Sink {
  send(frame: string): void;
  end(): void;
}

/** What a stream sends when its process shuts down: reconnect soon, from the last event id. */
const RESTARTING = ": darkroom is restarting; reconnect with Last-Event-ID\nretry: 1000\n\n";

/** A streaming SSE response; `open` starts feeding the sink and returns how to stop. */
function sseResponse(open: (sink: Sink) => Promise<Following>, opts: { hub: EventHub; preamble?: string; signal?: AbortSignal }): Response {
  const encoder = new TextEncoder();
  let closed = false;
  let following: Following | undefined;
  let forgetGoodbye: (() => void) | undefined;
  let keepalive: ReturnType<typeof setInterval> | undefined;
  let lastWrite = performance.now();
  const stream = new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        const end = () => {
          if (closed) return;
          closed = true;
          following?.stop();
          forgetGoodbye?.();
          clearInterval(keepalive);
          try {
            controller.close();
          } catch {
            // already closed by the client going away
          }
        };
        const sink: Sink = {
          send(frame) {
            if (closed) return;
            if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) return end();
            controller.enqueue(encoder.encode(frame));
            lastWrite = performance.now();
          },
          end,
        };
        opts.signal?.addEventListener("abort", end);
        forgetGoodbye = opts.hub.onShutdown(() => {
          sink.send(RESTARTING);
          end();
        });
        if (opts.preamble) sink.send(opts.preamble);
        keepalive = setInterval(() => {
          if (performance.now() - lastWrite >= KEEPALIVE_MS) sink.send(": keepalive\n\n");
        }, KEEPALIVE_MS / 3);
        try {
          const f = await open(sink);
          if (closed) f.stop();
          else following = f;
        } catch (err) {
          log().warn({ error: (err as Error).message }, "event stream failed");
          end();
        }
      },
      cancel() {
        closed = true;
        following?.stop();
        forgetGoodbye?.();
        clearInterval(keepalive);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );
  return new Response(stream, { headers: SSE_HEADERS });
}

/** Where a reconnecting client left off (`Last-Event-ID`), or the beginning. */
export function lastEventId(header: string | undefined): bigint {
  return header && /^\d{1,18}$/.test(header) ? BigInt(header) : 0n;
}

export interface GenerationStreamOptions {
  hub: EventHub;
  tenantId: string;
  generationId: string;
  afterId: bigint;
  isTerminal(type: string): boolean;
  signal?: AbortSignal;
}

/** A generation's own events (`image:*`, `message:new`), each with its `eventId`. */
export function eventStream(opts: GenerationStreamOptions): Response {
  return sseResponse(
    (sink) =>
      follow({
        hub: opts.hub,
        where: { tenantId: opts.tenantId, generationId: opts.generationId },
        matches: (e) => e.tenantId === opts.tenantId && e.generationId === opts.generationId,
        after: opts.afterId,
        onEvent: (e) => {
          sink.send(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(clientEvent(e))}\n\n`);
          if (opts.isTerminal(e.type)) sink.end();
        },
      }),
    { hub: opts.hub, preamble: ": darkroom event stream\nretry: 1000\n\n", signal: opts.signal },
  );
}

/**
 * A task's updates in the task wire format — `data: {"state": …, "details": {…}}` followed by a
 * blank line, the JSON as Python's `json.dumps` writes it — plus an `id:` line so Last-Event-ID
 * resumes. The stream ends after SUCCESS or FAILURE.
 */
export function taskEventStream(opts: Omit<GenerationStreamOptions, "isTerminal">): Response {
  const fold = new TaskFold();
  return sseResponse(
    async (sink) => {
      // The fold needs the whole history; only what the client has not seen is sent.
      const following = await follow({
        hub: opts.hub,
        where: { tenantId: opts.tenantId, generationId: opts.generationId },
        matches: (e) => e.tenantId === opts.tenantId && e.generationId === opts.generationId,
        after: 0n,
        onEvent: (e: LogEvent) => {
          const snapshot = fold.apply(e.type, e.payload as Record<string, unknown>);
          if (e.id <= opts.afterId) return;
          sink.send(taskFrame(e.id, snapshot));
          if (TERMINAL_TASK_STATES.has(snapshot.state)) sink.end();
        },
      });
      // Finished before the client came back, with nothing new to tell: end at once.
      if (TERMINAL_TASK_STATES.has(fold.snapshot().state)) sink.end();
      return following;
    },
    { hub: opts.hub, signal: opts.signal },
  );
}

export function taskFrame(eventId: bigint, snapshot: { state: string; details: unknown }): string {
  return `id: ${eventId}\ndata: ${pythonJson({ state: snapshot.state, details: snapshot.details })}\n\n`;
}
