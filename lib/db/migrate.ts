/**
 * Applies the committed migrations (prisma/migrations) the way `prisma migrate deploy` does, so
 * the server can bring its own database up to date at start, without the Prisma CLI, on
 * PostgreSQL and on PGlite alike. Bookkeeping goes into `_prisma_migrations` in Prisma's exact
 * format, so `prisma migrate status` / `deploy` agree with what was done here.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const defaultMigrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");

/** The same lock key `prisma migrate` takes, so the CLI and the server never migrate at once. */
export const MIGRATION_ADVISORY_LOCK_KEY = 72707369;

/** What applying migrations needs from a database connection (one session throughout). */
export interface MigrationExecutor {
  /** Runs a script of one or more statements, without parameters. */
  exec(sql: string): Promise<void>;
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `work` holding the database's migration lock, so concurrent starters take turns. */
  withMigrationLock<T>(work: () => Promise<T>): Promise<T>;
}

export interface CommittedMigration {
  /** The folder name, e.g. `20250101000000_init`. */
  name: string;
  sql: string;
  /** sha256 (hex) of migration.sql, as Prisma records it. */
  checksum: string;
}

/** The table as Prisma's schema engine creates it. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function readCommittedMigrations(migrationsDir = defaultMigrationsDir): CommittedMigration[] {
  if (!fs.existsSync(migrationsDir)) throw new Error(`No migrations folder at ${migrationsDir}`);
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(migrationsDir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = fs.readFileSync(path.join(migrationsDir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") };
    });
}

interface AppliedRow {
  migration_name: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

/**
 * Applies every committed migration not yet applied, in name order; returns the names applied.
 * Idempotent. A migration that failed earlier stops it, as it stops `prisma migrate deploy`.
 */
export async function applyMigrations(executor: MigrationExecutor, migrationsDir = defaultMigrationsDir): Promise<string[]> {
  const migrations = readCommittedMigrations(migrationsDir);
  return executor.withMigrationLock(async () => {
    await executor.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await executor.query<AppliedRow>(`SELECT "migration_name", "finished_at", "rolled_back_at" FROM "_prisma_migrations"`);
    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed) {
      throw new Error(
        `Migration ${failed.migration_name} failed earlier and the database needs attention: see its logs in _prisma_migrations, fix the database, ` +
          `then mark it with \`prisma migrate resolve --rolled-back ${failed.migration_name}\` (or --applied).`,
      );
    }
    const done = new Set(rows.filter((row) => row.finished_at !== null).map((row) => row.migration_name));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      const id = randomUUID();
      await executor.query(`INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "started_at", "applied_steps_count") VALUES ($1, $2, $3, now(), 0)`, [
        id,
        migration.checksum,
        migration.name,
      ]);
      try {
        await executor.exec(migration.sql);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await executor.query(`UPDATE "_prisma_migrations" SET "logs" = $2 WHERE "id" = $1`, [id, message]);
        throw new Error(`Migration ${migration.name} failed: ${message}`);
      }
      await executor.query(`UPDATE "_prisma_migrations" SET "finished_at" = now(), "applied_steps_count" = 1 WHERE "id" = $1`, [id]);
      applied.push(migration.name);
    }
    return applied;
  });
}
