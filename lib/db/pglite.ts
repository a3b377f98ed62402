/**
 * darkroom's embedded database: PGlite (PostgreSQL compiled to WebAssembly) in a data folder,
 * for running without a PostgreSQL server. One process at a time may open a folder.
 */
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { signallingAdapter, type EventSignals } from "./eventSignals";
import { PrismaClient } from "./generated/client";
import { lockDirectory, type DirectoryLock } from "./lockfile";
import type { MigrationExecutor } from "./migrate";

export interface OpenedPglite {
  pglite: PGlite;
  lock: DirectoryLock;
}

/** Opens (creating if needed) the PGlite database in `<dataDir>/pglite`, claiming the folder. */
export async function openPglite(dataDir: string): Promise<OpenedPglite> {
  fs.mkdirSync(dataDir, { recursive: true });
  const folder = path.join(dataDir, "pglite");
  const lock = lockDirectory(path.join(dataDir, "pglite.lock"), `The embedded database ${folder}`);
  try {
    return { pglite: await PGlite.create(folder), lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

export function pglitePrisma(pglite: PGlite, signals?: EventSignals): PrismaClient {
  // The adapter is typed against an older @prisma/driver-adapter-utils; the runtime contract is the same.
  const adapter = new PrismaPGlite(pglite) as unknown as NonNullable<ConstructorParameters<typeof PrismaClient>[0]["adapter"]>;
  return new PrismaClient({ adapter: signals ? signallingAdapter(adapter, signals, false) : adapter });
}

/** PGlite is one session owned by this process (the lockfile sees to that), so no lock is needed. */
export function pgliteMigrationExecutor(pglite: PGlite): MigrationExecutor {
  return {
    exec: async (sql) => {
      await pglite.exec(sql);
    },
    query: async <Row>(sql: string, params: unknown[] = []) => (await pglite.query<Row>(sql, params)).rows,
    withMigrationLock: (work) => work(),
  };
}
