/**
 * The event hub on a real PostgreSQL with its LISTEN/NOTIFY signals. With no live client in the
 * process it reads event ids only, yet keeps its horizon current; a client that arrives later still
 * gets every event it asked for exactly once and in order, also when it arrives while such an
 * idle read is under way.
 */
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import type { OpenedDatabase, PrismaClient } from "../lib/db";
import { EventHub, type LogEvent } from "../lib/live/eventHub";
import { follow } from "../lib/live/follow";
import { freshDatabase } from "./support/postgres";
import { eventually } from "./support/stack";

setDefaultTimeout(180_000);

const TENANT = "hub-tenant";
let db: OpenedDatabase;

beforeAll(async () => {
  db = await freshDatabase({ tenant: TENANT });
});

afterAll(async () => {
  await db?.close();
});

/** The hub's own reads of the log (not a client's replay), as seen by the database client it is given. */
interface ReadWatch {
  prisma: PrismaClient;
  full: number;
  idsOnly: number;
  /** While set, an ids-only read that found rows holds them back this long before the hub sees them. */
  holdIdsMs: number;
  /** Resolves when an ids-only read that found rows is being held. */
  holding: Promise<void>;
}

function watchReads(prisma: PrismaClient): ReadWatch {
  let held: () => void = () => undefined;
  const watch = {
    full: 0,
    idsOnly: 0,
    holdIdsMs: 0,
    holding: new Promise<void>((resolve) => (held = resolve)),
  } as ReadWatch;
  const events = new Proxy(prisma.event, {
    get(target, prop, receiver) {
      if (prop !== "findMany") return Reflect.get(target, prop, receiver);
      return async (args: { where?: { id?: unknown }; select?: unknown }) => {
        const rows = await (target.findMany as (a: unknown) => Promise<unknown[]>)(args);
        // The hub reads `id > horizon`; a client's replay reads `AND: [topic, id range]`.
        if (args.where?.id === undefined) return rows;
        if (args.select === undefined) watch.full++;
        else {
          watch.idsOnly++;
          if (watch.holdIdsMs > 0 && rows.length > 0) {
            held();
            await Bun.sleep(watch.holdIdsMs);
          }
        }
        return rows;
      };
    },
  });
  watch.prisma = new Proxy(prisma, { get: (target, prop, receiver) => (prop === "event" ? events : Reflect.get(target, prop, receiver)) }) as PrismaClient;
  return watch;
}

async function addEvents(n: number, userId: string): Promise<bigint[]> {
  const ids: bigint[] = [];
  // One at a time, as separate commits: each one signals, as the workers' writes do.
  for (let i = 0; i < n; i++) {
    const e = await db.prisma.event.create({ data: { tenantId: TENANT, type: "image:progress", userId, payload: { step: i } }, select: { id: true } });
    ids.push(e.id);
  }
  return ids;
}

test("with no live client the hub reads ids only and keeps its horizon current; the first client gets what follows, in full", async () => {
  const reads = watchReads(db.prisma);
  const hub = new EventHub({ prisma: reads.prisma, signals: db.eventSignals, pollMs: 50 });
  try {
    await hub.start();
    const idle = await addEvents(30, "idle-user");
    await eventually(async () => (hub.horizon === idle.at(-1) ? true : undefined), "the idle hub's horizon to reach the last event");
    expect(reads.full).toBe(0);
    expect(reads.idsOnly).toBeGreaterThan(0);

    const seen: LogEvent[] = [];
    const unsubscribe = hub.subscribe((e) => seen.push(e));
    const live = await addEvents(5, "live-user");
    await eventually(async () => (seen.length >= live.length ? true : undefined), "the live events");
    unsubscribe();
    expect(seen.map((e) => e.id)).toEqual(live);
    // Delivered with their payloads, read in full once a client was there.
    expect(seen.map((e) => (e.payload as { step: number }).step)).toEqual([0, 1, 2, 3, 4]);
    expect(reads.full).toBeGreaterThan(0);
  } finally {
    hub.stop();
  }
});

test("a client arriving while an idle read is under way gets every event after its resume point, once and in order", async () => {
  const reads = watchReads(db.prisma);
  const hub = new EventHub({ prisma: reads.prisma, signals: db.eventSignals, pollMs: 50 });
  try {
    await hub.start();
    const resumeAfter = hub.horizon;
    reads.holdIdsMs = 300;
    const before = await addEvents(10, "racing-user");
    // The idle poll has read these ids and not yet handed them to the hub: the client subscribes now.
    await Promise.race([reads.holding, Bun.sleep(30_000).then(() => Promise.reject(new Error("no idle read of these events within 30 s")))]);
    const got: bigint[] = [];
    const following = await follow({
      hub,
      where: { tenantId: TENANT, userId: "racing-user" },
      matches: (e) => e.tenantId === TENANT && e.userId === "racing-user",
      after: resumeAfter,
      onEvent: (e) => got.push(e.id),
    });
    reads.holdIdsMs = 0;
    const after = await addEvents(5, "racing-user");
    const all = [...before, ...after];
    await eventually(async () => (got.length >= all.length && hub.horizon >= all.at(-1)! ? true : undefined), "every event of the racing user");
    // Settle: no duplicate arrives late.
    await Bun.sleep(200);
    following.stop();
    expect(got).toEqual(all);
  } finally {
    hub.stop();
  }
});
