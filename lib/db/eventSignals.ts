/**
 * "New events are committed" signals, so live clients hear about an event within milliseconds
 * without polling the log. The Prisma driver adapter is wrapped: a transaction that inserted into
 * the Event table sends `NOTIFY darkroom_events` just before its COMMIT (PostgreSQL delivers it only
 * if the commit succeeds, and only after the rows are visible); a lone insert sends it right after.
 * Every API process LISTENs, so whichever process or worker wrote the event, every process hears it.
 * With the embedded PGlite (one process) the signal stays in process memory.
 *
 * The signal carries no data: listeners read the log itself, which stays the only source of truth.
 */
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";
import pg from "pg";

export const EVENT_CHANNEL = "darkroom_events";

/** An insert into the Event table, alone or as one of a statement's CTEs (`WITH … INSERT INTO "Event"`). */
const EVENT_INSERT = /\bINSERT\s+INTO\s+(?:"[^"]+"\.)?"Event"\s*\(/i;
const LISTEN_RETRY_MS = 1000;

export interface EventSignals {
  /** Calls `wake` whenever new events may be readable (from this process or, on PostgreSQL, any other). */
  onCommitted(wake: () => void): () => void;
  /** Called by the adapter wrapper after this process committed events. */
  committedHere(): void;
  close(): Promise<void>;
}

const rawQuery = (sql: string): SqlQuery => ({ sql, args: [], argTypes: [] });

/**
 * The adapter factory, wrapped so that committed event inserts are signalled. `viaPostgres` adds the
 * NOTIFY for other processes; without it (PGlite) only this process is told.
 */
export function signallingAdapter<F extends SqlDriverAdapterFactory>(factory: F, signals: EventSignals, viaPostgres: boolean): F {
  const notify = rawQuery(`NOTIFY ${EVENT_CHANNEL}`);
  const wrapTransaction = (tx: Transaction): Transaction => {
    let inserted = false;
    const watch = async <T>(run: (q: SqlQuery) => Promise<T>, q: SqlQuery): Promise<T> => {
      if (EVENT_INSERT.test(q.sql)) inserted = true;
      // In the same transaction as the rows: delivered on commit, never for a rollback.
      else if (inserted && viaPostgres && q.sql === "COMMIT") await tx.executeRaw(notify);
      return run(q);
    };
    return new Proxy(tx, {
      get(target, prop, receiver) {
        if (prop === "queryRaw") return (q: SqlQuery) => watch((x) => target.queryRaw(x), q);
        if (prop === "executeRaw") return (q: SqlQuery) => watch((x) => target.executeRaw(x), q);
        if (prop === "commit")
          return async () => {
            await target.commit();
            if (inserted) signals.committedHere();
          };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  const wrapAdapter = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const afterLoneInsert = (q: SqlQuery) => {
      if (!EVENT_INSERT.test(q.sql)) return;
      signals.committedHere();
      if (viaPostgres) adapter.executeRaw(notify).catch(() => undefined /* the safety poll still finds the event */);
    };
    return new Proxy(adapter, {
      get(target, prop, receiver) {
        if (prop === "queryRaw")
          return async (q: SqlQuery) => {
            const result = await target.queryRaw(q);
            afterLoneInsert(q);
            return result;
          };
        if (prop === "executeRaw")
          return async (q: SqlQuery) => {
            const result = await target.executeRaw(q);
            afterLoneInsert(q);
            return result;
          };
        if (prop === "startTransaction") return async (level?: Parameters<SqlDriverAdapter["startTransaction"]>[0]) => wrapTransaction(await target.startTransaction(level));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return new Proxy(factory, {
    get(target, prop, receiver) {
      if (prop === "connect") return async () => wrapAdapter(await target.connect());
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Signals within this process only (the embedded database). */
export function localEventSignals(): EventSignals {
  const listeners = new Set<() => void>();
  return {
    onCommitted(wake) {
      listeners.add(wake);
      return () => listeners.delete(wake);
    },
    committedHere() {
      for (const wake of listeners) wake();
    },
    async close() {
      listeners.clear();
    },
  };
}

/**
 * Signals from every process on one PostgreSQL database: a dedicated LISTEN connection, opened on
 * the first listener and re-opened after a connection loss (wakes listeners then, since a NOTIFY may
 * have been missed meanwhile).
 */
export function postgresEventSignals(databaseUrl: string): EventSignals {
  const local = localEventSignals();
  let client: pg.Client | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const listen = async () => {
    if (closed || client) return;
    const c = new pg.Client({ connectionString: databaseUrl });
    client = c;
    const lost = () => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void listen(), LISTEN_RETRY_MS);
    };
    c.on("error", lost);
    c.on("end", lost);
    c.on("notification", () => local.committedHere());
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENT_CHANNEL}`);
      local.committedHere();
    } catch {
      lost();
    }
  };

  return {
    onCommitted(wake) {
      void listen();
      return local.onCommitted(wake);
    },
    committedHere: () => local.committedHere(),
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await local.close();
      await c?.end().catch(() => undefined);
    },
  };
}
