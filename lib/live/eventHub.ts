/**
 * One reader of the event log per API process, fanning new events out to every live client (SSE
 * streams, WebSockets) of that process. It wakes on the database's "events committed" signal
 * (LISTEN/NOTIFY) and keeps a slow safety poll, so delivery never rests on process memory: any
 * process serves any client, and each one delivers every event.
 *
 * Events are handed out strictly in id order and exactly once. Ids come from a sequence, so a
 * transaction that took id 10 may commit after the one that took id 11; the hub waits briefly at
 * such a gap instead of skipping past it (a gap that never fills — a rolled-back insert — is
 * skipped after GAP_GRACE_MS). Hence "everything up to `horizon` was delivered" holds, which is
 * what lets a reconnecting client replay from the log up to the horizon and continue live.
 *
 * With no live client in this process there is no one to read for: the hub ignores the signals
 * and only moves its horizon on at the safety poll, reading event ids, not their payloads. Most
 * processes of a deployment that delivers by webhook or Telegram never have a live client, and
 * would otherwise read every event in full, once per process. The first client wakes it.
 */
import type { EventSignals } from "../db/eventSignals";
import type { PrismaClient } from "../db/generated/client";
import { log } from "../log";

export interface LogEvent {
  id: bigint;
  tenantId: string;
  type: string;
  generationId: string | null;
  agentId: string | null;
  userId: string | null;
  dialogId: string | null;
  taskId: string | null;
  payload: unknown;
}

export type EventListener = (event: LogEvent) => void;

const BATCH = 500;
const GAP_RECHECK_MS = 10;
const GAP_GRACE_MS = 2000;

export interface EventHubOptions {
  prisma: PrismaClient;
  signals: EventSignals;
  /** The slow safety poll, for a lost notification. */
  pollMs?: number;
}

export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private readonly goodbyes = new Set<() => void>();
  private delivered = 0n;
  private started: Promise<void> | undefined;
  /** The horizon is known (start() has read the log's end). */
  private ready = false;
  private reading = false;
  private again = false;
  private gap: { at: bigint; since: number } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private stopSignals: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly opts: EventHubOptions) {}

  /** The database the log lives in, for replays that read it page by page. */
  get prisma(): PrismaClient {
    return this.opts.prisma;
  }

  /** Every event with an id up to this one has been handed to the listeners (or never will exist). */
  get horizon(): bigint {
    return this.delivered;
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      const last = await this.opts.prisma.event.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
      this.delivered = last?.id ?? 0n;
      this.stopSignals = this.opts.signals.onCommitted(() => {
        if (this.listeners.size > 0) this.wake();
      });
      this.poll = setInterval(() => this.wake(), this.opts.pollMs ?? 1000);
      this.poll.unref?.();
      this.ready = true;
    })();
    return this.started;
  }

  /** Listeners run synchronously in id order; they must not block (queue and return). */
  /**
   * Registers what a live client does when this process shuts down (say goodbye with a reconnect
   * hint); returns how to take it back when the client leaves first.
   */
  onShutdown(goodbye: () => void): () => void {
    this.goodbyes.add(goodbye);
    return () => this.goodbyes.delete(goodbye);
  }

  /**
   * Ends every live client with its goodbye: SSE streams with a `retry:` hint, sockets with 1012.
   * They reconnect (to this process after a restart, or another behind the load balancer) and
   * resume from their last event id, so a deploy loses nothing.
   */
  closeClients(): void {
    for (const goodbye of [...this.goodbyes]) {
      try {
        goodbye();
      } catch {
        // One client's failure must not keep the others open.
      }
    }
    this.goodbyes.clear();
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    // The first client: what was committed since the last idle read is read in full now.
    if (this.listeners.size === 1 && this.ready) this.wake();
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  stop(): void {
    this.closeClients();
    this.stopped = true;
    this.stopSignals?.();
    clearInterval(this.poll);
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** Reads what is new now; concurrent wake-ups collapse into one more read. */
  wake(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.readNew()
      .catch((err) => log().warn({ error: (err as Error).message }, "event hub: reading the log failed"))
      .finally(() => {
        this.reading = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const idle = this.listeners.size === 0;
      const where = { id: { gt: this.delivered } };
      const rows: Array<{ id: bigint } & Partial<LogEvent>> = idle
        ? await this.opts.prisma.event.findMany({ where, orderBy: { id: "asc" }, take: BATCH, select: { id: true } })
        : await this.opts.prisma.event.findMany({ where, orderBy: { id: "asc" }, take: BATCH });
      if (this.stopped) return;
      for (const row of rows) {
        // A client arrived while ids alone were being read: it must get this event and the rest
        // in full, so the horizon stops here and the next read is a full one.
        if (idle && this.listeners.size > 0) {
          this.again = true;
          return;
        }
        if (row.id !== this.delivered + 1n && !this.gapExpired(this.delivered + 1n)) {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.wake();
          }, GAP_RECHECK_MS);
          return;
        }
        this.gap = undefined;
        this.delivered = row.id;
        // Listeners only ever see full rows: an id-only read returned above if one had arrived.
        for (const listener of this.listeners) {
          try {
            listener(row as LogEvent);
          } catch (err) {
            log().warn({ error: (err as Error).message }, "event hub: a listener failed");
          }
        }
      }
      if (rows.length < BATCH) return;
    }
  }

  private gapExpired(at: bigint): boolean {
    if (this.gap?.at !== at) this.gap = { at, since: performance.now() };
    return performance.now() - this.gap.since >= GAP_GRACE_MS;
  }
}

/** What clients receive for a log event, on SSE and WebSocket alike. */
export function clientEvent(e: LogEvent): Record<string, unknown> {
  return { eventId: Number(e.id), type: e.type, ...(e.payload as object) };
}
