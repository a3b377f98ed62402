/**
 * Opens darkroom's database: PostgreSQL when a URL is given, else the embedded PGlite in the data
 * folder. Both are served by the one generated Prisma client, and both are brought up to date
 * with the committed migrations on open.
 */
import { localEventSignals, postgresEventSignals, type EventSignals } from "./eventSignals";
import { PrismaClient } from "./generated/client";
import { applyMigrations } from "./migrate";
import { openPglite, pgliteMigrationExecutor, pglitePrisma } from "./pglite";
import { postgresPrisma, withPostgresMigrationExecutor } from "./postgres";

export { PrismaClient };
export type Db = PrismaClient;

export interface OpenedDatabase {
  prisma: PrismaClient;
  kind: "postgres" | "pglite";
  /** "Events were committed" wake-ups for live delivery (LISTEN/NOTIFY on PostgreSQL). */
  eventSignals: EventSignals;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// or postgresql://; unset means the embedded PGlite in `<dataDir>/pglite`. */
  databaseUrl?: string;
  dataDir: string;
  /** Apply pending committed migrations first (default true). */
  migrate?: boolean;
  /** Where the committed migrations are; defaults to prisma/migrations. */
  migrationsDir?: string;
}

function assertPostgresUrl(databaseUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(databaseUrl).protocol;
  } catch {
    throw new Error("DATABASE_URL is not a valid URL; expected postgresql://user:password@host:5432/database");
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:") {
    throw new Error(
      `DATABASE_URL must be a PostgreSQL URL (postgres:// or postgresql://), got "${protocol}//…". ` +
        "Leave it unset to use the embedded database in the data folder.",
    );
  }
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<OpenedDatabase> {
  const migrate = opts.migrate ?? true;
  if (opts.databaseUrl) {
    const databaseUrl = opts.databaseUrl;
    assertPostgresUrl(databaseUrl);
    if (migrate) await withPostgresMigrationExecutor(databaseUrl, (executor) => applyMigrations(executor, opts.migrationsDir));
    const eventSignals = postgresEventSignals(databaseUrl);
    const prisma = postgresPrisma(databaseUrl, eventSignals);
    return {
      prisma,
      kind: "postgres",
      eventSignals,
      close: async () => {
        await eventSignals.close();
        await prisma.$disconnect();
      },
    };
  }

  const { pglite, lock } = await openPglite(opts.dataDir);
  try {
    if (migrate) await applyMigrations(pgliteMigrationExecutor(pglite), opts.migrationsDir);
  } catch (error) {
    await pglite.close();
    lock.release();
    throw error;
  }
  const eventSignals = localEventSignals();
  const prisma = pglitePrisma(pglite, eventSignals);
  let closed = false;
  return {
    prisma,
    kind: "pglite",
    eventSignals,
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await eventSignals.close();
        await prisma.$disconnect();
        await pglite.close();
      } finally {
        lock.release();
      }
    },
  };
}
