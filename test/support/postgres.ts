/**
 * A throwaway PostgreSQL for tests: one cluster per test process, one new empty database per call.
 *
 * With TEST_DATABASE_URL set, databases are created on that server instead (CI with a service
 * container). Otherwise the local PostgreSQL server binaries start a cluster in a temp dir that
 * is stopped (immediate mode) and deleted when the process exits, however it exits.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDatabase, type OpenedDatabase } from "../../lib/db";
import { freePort } from "../../lib/temporal/devServer";

interface Server {
  /** URL of a database we may connect to in order to create others. */
  adminUrl: string;
}

let serverPromise: Promise<Server> | undefined;
let databaseCounter = 0;

/** Starts (once per test process) a throwaway PostgreSQL cluster, or uses TEST_DATABASE_URL's server if set, and returns a new empty database URL. */
export async function freshPostgresUrl(): Promise<string> {
  serverPromise ??= process.env.TEST_DATABASE_URL
    ? Promise.resolve({ adminUrl: process.env.TEST_DATABASE_URL })
    : startCluster();
  const { adminUrl } = await serverPromise;
  const name = `darkroom_test_${process.pid}_${++databaseCounter}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** darkroom's database, migrated, in a new empty PostgreSQL database; with `tenant`, that tenant exists in it. */
export async function freshDatabase(opts: { tenant?: string } = {}): Promise<OpenedDatabase> {
  const db = await openDatabase({ databaseUrl: await freshPostgresUrl(), dataDir: os.tmpdir() });
  if (opts.tenant) await db.prisma.tenant.create({ data: { id: opts.tenant, name: opts.tenant } });
  return db;
}

/** Where initdb, pg_ctl and postgres live: PG_BIN, then `pg_config --bindir`, then Debian's layout. */
export function findPostgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const debianRoot = "/usr/lib/postgresql";
  if (fs.existsSync(debianRoot)) {
    const versions = fs
      .readdirSync(debianRoot)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debianRoot, v, "bin")));
  }
  const found = candidates.find((dir) => ["initdb", "pg_ctl", "postgres"].every((b) => fs.existsSync(path.join(dir, b))));
  if (!found) {
    throw new Error(
      "No PostgreSQL server binaries (initdb, pg_ctl, postgres) found. Install them (Debian/Ubuntu: `apt-get install postgresql`), " +
        "point PG_BIN at their folder, or set TEST_DATABASE_URL to a server the tests may create databases on.",
    );
  }
  return found;
}

/**
 * PostgreSQL refuses to run as root, so as root every server command runs as the `postgres`
 * system user (Debian's package creates it) on folders that user owns.
 */
function serverCommandRunner(): { run: (argv: string[]) => ReturnType<typeof spawnSync>; owner?: { uid: number; gid: number } } {
  if (process.getuid?.() !== 0) return { run: (argv) => spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" }) };
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("Running as root, and PostgreSQL refuses to: create a `postgres` user (installing Debian's `postgresql` package does) or set TEST_DATABASE_URL.");
  }
  return {
    run: (argv) => spawnSync("runuser", ["-u", "postgres", "--", ...argv], { encoding: "utf8" }),
    owner: { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) },
  };
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}


function check(result: ReturnType<typeof spawnSync>, what: string, logFile?: string): void {
  if (result.status === 0) return;
  const log = logFile && fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
  throw new Error(`${what} failed (exit ${result.status}): ${result.stderr || result.stdout || result.error?.message || ""}\n${log}`.trim());
}

async function startCluster(): Promise<Server> {
  const bin = findPostgresBinDir();
  const { run, owner } = serverCommandRunner();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-pg-"));
  const dataDir = path.join(root, "data");
  const socketDir = path.join(root, "socket");
  const logFile = path.join(root, "server.log");
  fs.mkdirSync(socketDir);
  if (owner) for (const p of [root, socketDir]) fs.chownSync(p, owner.uid, owner.gid);

  // A watchdog outside this process stops the server (immediate mode) and deletes the folder once
  // its stdin reaches EOF, i.e. when this process ends in any way: `bun test` runs no `exit`
  // handlers, and a killed process runs none at all. Detached, so Ctrl-C reaches it only via EOF.
  const serverCommand = (argv: string[]) => (owner ? ["runuser", "-u", "postgres", "--", ...argv] : argv).map(shellQuote).join(" ");
  const watchdog = spawn(
    "sh",
    ["-c", `read _ignored; ${serverCommand([path.join(bin, "pg_ctl"), "-D", dataDir, "-m", "immediate", "-w", "stop"])}; rm -rf ${shellQuote(root)}`],
    { detached: true, stdio: ["pipe", "ignore", "ignore"] },
  );
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();

  // The cluster is disposable, so durability is traded for speed.
  check(
    run([path.join(bin, "initdb"), "-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]),
    "initdb",
  );
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${socketDir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  check(run([path.join(bin, "pg_ctl"), "-D", dataDir, "-l", logFile, "-o", serverOptions, "-w", "-t", "60", "start"]), "pg_ctl start", logFile);
  return { adminUrl: `postgresql://postgres@127.0.0.1:${port}/postgres` };
}
