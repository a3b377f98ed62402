import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, type Db, type OpenedDatabase } from "../lib/db";
import { readCommittedMigrations } from "../lib/db/migrate";
import { freshPostgresUrl } from "./support/postgres";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const SLOW = 120_000;
const tempDirs: string[] = [];
const opened: OpenedDatabase[] = [];

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-db-test-"));
  tempDirs.push(dir);
  return dir;
}

async function open(opts: Parameters<typeof openDatabase>[0]): Promise<OpenedDatabase> {
  const db = await openDatabase(opts);
  opened.push(db);
  return db;
}

afterAll(async () => {
  for (const db of opened) await db.close().catch(() => {});
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A seed past 2^53: it only survives if BigInt really goes through as BigInt. */
const BIG_SEED = 9_007_199_254_740_993n;

/** Writes a tenant's whole story through the client and reads it back. */
async function exerciseModels(prisma: Db, tenantId: string) {
  await prisma.tenant.create({ data: { id: tenantId, name: `Tenant ${tenantId}` } });
  await prisma.apiKey.create({ data: { id: `${tenantId}-key`, tenantId, keyHash: `hash-${tenantId}`, prefix: "dk_live" } });
  await prisma.generation.create({
    data: {
      id: `${tenantId}-gen`,
      tenantId,
      kind: "companion_photo",
      description: "a lighthouse at dusk",
      persona: { name: "Mira", traits: ["dry wit", "patient"], age: 31 },
      seed: BIG_SEED,
      workflowId: `wf-${tenantId}`,
      waitingMessageId: `${tenantId}-msg-wait`,
    },
  });
  await prisma.message.create({
    data: { id: `${tenantId}-msg-wait`, tenantId, generationId: `${tenantId}-gen`, kind: "waiting", content: "Give me a minute, the light is perfect.", metadata: { eta: 40 } },
  });
  await prisma.image.create({
    data: {
      id: `${tenantId}-img`,
      tenantId,
      generationId: `${tenantId}-gen`,
      storageKey: "ab/abcdef.webp",
      thumbKey: "ab/abcdef.thumb.webp",
      width: 1024,
      height: 768,
      thumbWidth: 256,
      thumbHeight: 192,
      bytes: 123_456,
      sha256: "abcdef",
      seed: BIG_SEED,
    },
  });
  await prisma.generation.update({ where: { id: `${tenantId}-gen` }, data: { status: "completed", progressPercent: 100, completedAt: new Date() } });

  const generation = await prisma.generation.findUniqueOrThrow({ where: { workflowId: `wf-${tenantId}` }, include: { images: true, messages: true, tenant: { include: { apiKeys: true } } } });
  expect(generation.status).toBe("completed");
  expect(generation.seed).toBe(BIG_SEED);
  expect(generation.persona).toEqual({ name: "Mira", traits: ["dry wit", "patient"], age: 31 });
  expect(generation.images.map((i) => [i.outputIndex, i.seed, i.contentType])).toEqual([[0, BIG_SEED, "image/webp"]]);
  expect(generation.messages.map((m) => [m.kind, m.role, m.metadata])).toEqual([["waiting", "assistant", { eta: 40 }]]);
  expect(generation.tenant.apiKeys.map((k) => k.keyHash)).toEqual([`hash-${tenantId}`]);

  // The same output index twice is refused: storing an image on retry stays idempotent.
  const duplicate = prisma.image.create({
    data: { id: `${tenantId}-img2`, tenantId, generationId: `${tenantId}-gen`, storageKey: "x", thumbKey: "y", width: 1, height: 1, thumbWidth: 1, thumbHeight: 1, bytes: 1, sha256: "z" },
  });
  await expect(Promise.resolve(duplicate)).rejects.toMatchObject({ code: "P2002" });
}

async function migrationNames(prisma: Db): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<Array<{ migration_name: string }>>(
    `SELECT "migration_name" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL ORDER BY "migration_name"`,
  );
  return rows.map((r) => r.migration_name);
}

const committed = readCommittedMigrations().map((m) => m.name);

describe("openDatabase on PostgreSQL", () => {
  test("applies the migrations and serves every model", async () => {
    const db = await open({ databaseUrl: await freshPostgresUrl(), dataDir: tempDataDir() });
    expect(db.kind).toBe("postgres");
    expect(await migrationNames(db.prisma)).toEqual(committed);
    await exerciseModels(db.prisma, "pg-tenant");

    // Deleting a tenant takes everything it owns with it.
    await db.prisma.tenant.delete({ where: { id: "pg-tenant" } });
    expect(await db.prisma.generation.count()).toBe(0);
    expect(await db.prisma.image.count()).toBe(0);
  }, SLOW);

  test("migrating again, or from two openers at once (separate sessions), applies each migration once", async () => {
    const databaseUrl = await freshPostgresUrl();
    const [a, b] = await Promise.all([open({ databaseUrl, dataDir: tempDataDir() }), open({ databaseUrl, dataDir: tempDataDir() })]);
    const c = await open({ databaseUrl, dataDir: tempDataDir() });
    const rows = await c.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM "_prisma_migrations"`);
    expect(Number(rows[0]!.n)).toBe(committed.length);
    await a.prisma.tenant.create({ data: { id: "t1", name: "one" } });
    expect(await b.prisma.tenant.count()).toBe(1);
  }, SLOW);

  test("a failing migration stops the open, and later opens refuse until it is resolved", async () => {
    const databaseUrl = await freshPostgresUrl();
    const migrationsDir = tempDataDir();
    fs.cpSync(path.resolve(import.meta.dir, "../prisma/migrations"), migrationsDir, { recursive: true });
    fs.mkdirSync(path.join(migrationsDir, "29990101000000_broken"));
    fs.writeFileSync(path.join(migrationsDir, "29990101000000_broken", "migration.sql"), `ALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;`);

    await expect(openDatabase({ databaseUrl, dataDir: tempDataDir(), migrationsDir })).rejects.toThrow(/29990101000000_broken failed/);
    await expect(openDatabase({ databaseUrl, dataDir: tempDataDir(), migrationsDir })).rejects.toThrow(/29990101000000_broken failed earlier/);
  }, SLOW);

  test("an URL that is not PostgreSQL is refused with a clear message", async () => {
    await expect(openDatabase({ databaseUrl: "mysql://localhost/darkroom", dataDir: tempDataDir() })).rejects.toThrow(/postgres:\/\/ or postgresql:\/\//);
  });
});

describe("openDatabase on embedded PGlite", () => {
  test("applies the migrations, serves every model, keeps data across reopening and guards its folder", async () => {
    const dataDir = tempDataDir();
    const first = await open({ dataDir });
    expect(first.kind).toBe("pglite");
    expect(fs.existsSync(path.join(dataDir, "pglite"))).toBe(true);
    expect(await migrationNames(first.prisma)).toEqual(committed);
    await exerciseModels(first.prisma, "lite-tenant");

    // A second opener of the same folder would corrupt it: refused, naming the owner.
    await expect(openDatabase({ dataDir })).rejects.toThrow(new RegExp(`in use by this process|in use by process ${process.pid}`));

    await first.close();
    const again = await open({ dataDir });
    const generation = await again.prisma.generation.findUniqueOrThrow({ where: { id: "lite-tenant-gen" } });
    expect(generation.seed).toBe(BIG_SEED);
    expect(generation.persona).toEqual({ name: "Mira", traits: ["dry wit", "patient"], age: 31 });
    // Reopening applied nothing twice.
    expect(await migrationNames(again.prisma)).toEqual(committed);
    await again.close();
  }, SLOW);

  test("a lock left by a process that died is taken over", async () => {
    const dataDir = tempDataDir();
    const dead = Bun.spawnSync(["true"]);
    fs.writeFileSync(path.join(dataDir, "pglite.lock"), `${dead.pid}\n`);
    const db = await open({ dataDir });
    expect(await db.prisma.tenant.count()).toBe(0);
    expect(fs.readFileSync(path.join(dataDir, "pglite.lock"), "utf8").trim()).toBe(String(process.pid));
    await db.close();
    expect(fs.existsSync(path.join(dataDir, "pglite.lock"))).toBe(false);
  }, SLOW);

  test("a lock held by another live process is refused, naming it", async () => {
    const dataDir = tempDataDir();
    const other = Bun.spawn(["sleep", "30"]);
    try {
      fs.writeFileSync(path.join(dataDir, "pglite.lock"), `${other.pid}\n`);
      await expect(openDatabase({ dataDir })).rejects.toThrow(`in use by process ${other.pid}`);
    } finally {
      other.kill();
    }
  });
});
