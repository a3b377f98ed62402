/**
 * The committed migrations, prisma/schema.prisma and the real Prisma CLI agree with each other
 * and with lib/db's own migrator. The CLI runs with the Wasm stand-in engine (prisma/engine).
 */
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { applyMigrations, readCommittedMigrations } from "../lib/db/migrate";
import { withPostgresMigrationExecutor } from "../lib/db/postgres";
import { runPrismaCli } from "../prisma/engine/prisma";
import { freshPostgresUrl } from "./support/postgres";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const SLOW = 120_000;
const root = path.resolve(import.meta.dir, "..");
const migrationsDir = path.join(root, "prisma", "migrations");
const schemaPath = path.join(root, "prisma", "schema.prisma");

function prisma(args: string[], databaseUrl: string) {
  return runPrismaCli(args, { ...process.env, DATABASE_URL: databaseUrl });
}

function diffAgainst(schema: string, databaseUrl: string) {
  return prisma(["migrate", "diff", "--from-migrations", migrationsDir, "--to-schema", schema, "--exit-code"], databaseUrl);
}

describe("committed migrations", () => {
  test("produce exactly the database prisma/schema.prisma describes (replayed on a PostgreSQL shadow database)", async () => {
    const result = diffAgainst(schemaPath, await freshPostgresUrl());
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({ status: 0 });
    expect(result.stdout).toContain("No difference detected");
  }, SLOW);

  test("a schema change no migration covers is caught", async () => {
    const changed = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-schema-")), "schema.prisma");
    fs.writeFileSync(changed, fs.readFileSync(schemaPath, "utf8").replace(/^model Tenant \{$/m, "model Tenant {\n  plan String?"));
    const result = diffAgainst(changed, await freshPostgresUrl());
    expect(result.status).toBe(2);
    expect(result.stdout).toContain("plan");
    fs.rmSync(path.dirname(changed), { recursive: true, force: true });
  }, SLOW);

  test("applied by lib/db, are what `prisma migrate status` and `migrate deploy` call up to date", async () => {
    const databaseUrl = await freshPostgresUrl();
    const applied = await withPostgresMigrationExecutor(databaseUrl, (executor) => applyMigrations(executor));
    expect(applied).toEqual(readCommittedMigrations().map((m) => m.name));

    const status = prisma(["migrate", "status"], databaseUrl);
    expect({ status: status.status, output: status.stdout + status.stderr }).toMatchObject({ status: 0 });
    expect(status.stdout).toContain("Database schema is up to date!");

    const deploy = prisma(["migrate", "deploy"], databaseUrl);
    expect(deploy.status).toBe(0);
    expect(deploy.stdout).toContain("No pending migrations to apply.");
  }, SLOW);

  test("applied by `prisma migrate deploy`, leave nothing for lib/db to apply", async () => {
    const databaseUrl = await freshPostgresUrl();
    const deploy = prisma(["migrate", "deploy"], databaseUrl);
    expect({ status: deploy.status, output: deploy.stdout + deploy.stderr }).toMatchObject({ status: 0 });
    expect(await withPostgresMigrationExecutor(databaseUrl, (executor) => applyMigrations(executor))).toEqual([]);

    // The bookkeeping rows are the same shape either way: checksum is the migration file's sha256.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const rows = (await client.query(`SELECT "migration_name", "checksum", "applied_steps_count" FROM "_prisma_migrations" ORDER BY 1`)).rows;
    await client.end();
    expect(rows).toEqual(readCommittedMigrations().map((m) => ({ migration_name: m.name, checksum: m.checksum, applied_steps_count: 1 })));
  }, SLOW);
});
