/** darkroom's database on a PostgreSQL server, through `pg` and Prisma's pg driver adapter. */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { signallingAdapter, type EventSignals } from "./eventSignals";
import { PrismaClient } from "./generated/client";
import { MIGRATION_ADVISORY_LOCK_KEY, type MigrationExecutor } from "./migrate";

/** Per process; several workers and the API share one server, which allows 100 connections by default. */
const POOL_SIZE = 10;

export function postgresPrisma(databaseUrl: string, signals?: EventSignals): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: POOL_SIZE });
  return new PrismaClient({ adapter: signals ? signallingAdapter(adapter, signals, true) : adapter });
}

/**
 * Runs `work` with a migration executor on a dedicated connection: the advisory lock belongs to
 * a session, so lock, migration and unlock must share one.
 */
export async function withPostgresMigrationExecutor<T>(databaseUrl: string, work: (executor: MigrationExecutor) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work({
      exec: async (sql) => {
        await client.query(sql);
      },
      query: async <Row>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as Row[],
      withMigrationLock: async (locked) => {
        await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_ADVISORY_LOCK_KEY]);
        try {
          return await locked();
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_ADVISORY_LOCK_KEY]);
        }
      },
    });
  } finally {
    await client.end();
  }
}
