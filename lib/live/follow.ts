/**
 * Replay-then-live over the event log, with nothing lost or doubled at the seam: the live listener
 * is attached first and buffers; the log is read up to the hub's horizon (everything the hub has
 * not handed out yet is newer than that); then the buffer is flushed and delivery goes live.
 */
import type { Prisma, PrismaClient } from "../db/generated/client";
import type { EventHub, LogEvent } from "./eventHub";

const PAGE = 500;

export interface FollowOptions {
  hub: EventHub;
  /** The events of interest, as a query (replay) and as a predicate (live). */
  where: Prisma.EventWhereInput;
  matches(e: LogEvent): boolean;
  /** Replay starts after this id (0 = from the beginning). */
  after: bigint;
  onEvent(e: LogEvent): void;
}

export interface Following {
  stop(): void;
}

/** Reads matching events in (after, upTo] in id order, page by page. */
export async function readLog(prisma: PrismaClient, where: Prisma.EventWhereInput, after: bigint, upTo: bigint, each: (e: LogEvent) => void): Promise<void> {
  let cursor = after;
  while (cursor < upTo) {
    const rows = await prisma.event.findMany({ where: { AND: [where, { id: { gt: cursor, lte: upTo } }] }, orderBy: { id: "asc" }, take: PAGE });
    for (const row of rows) each(row);
    if (rows.length < PAGE) return;
    cursor = rows[rows.length - 1]!.id;
  }
}

export async function follow(opts: FollowOptions): Promise<Following> {
  await opts.hub.start();
  let buffer: LogEvent[] | undefined = [];
  let stopped = false;
  let last = opts.after;
  const deliver = (e: LogEvent) => {
    if (stopped || e.id <= last) return;
    last = e.id;
    opts.onEvent(e);
  };
  const unsubscribe = opts.hub.subscribe((e) => {
    if (!opts.matches(e)) return;
    if (buffer) buffer.push(e);
    else deliver(e);
  });
  const following = {
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
  try {
    await readLog(opts.hub.prisma, opts.where, opts.after, opts.hub.horizon, deliver);
  } catch (err) {
    following.stop();
    throw err;
  }
  const pending = buffer;
  buffer = undefined;
  for (const e of pending) deliver(e);
  return following;
}
