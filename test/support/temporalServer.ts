/**
 * A production Temporal server for tests: `temporal-server` (built from source by
 * deploy/tools/build-temporal-server.sh) with PostgreSQL persistence and SQL visibility, its schema
 * made by `temporal-sql-tool` through deploy/temporal/setup-schema.sh, started from
 * deploy/temporal/config/postgresql.yaml with deploy/temporal/dynamicconfig/production-sql.yaml, and
 * darkroom's namespace and search attributes made by deploy/temporal/setup-darkroom.sh — the same
 * files an operator deploys with, on loopback ports in a throwaway PostgreSQL database. Stopped when
 * the test process ends, however it ends.
 *
 * CI builds the binaries alongside the suite (.ci/run) and the tests wait for that build; there a
 * missing binary is a failed build and the tests fail saying so. On a developer's machine the first
 * test that needs them builds them once (many minutes; cached in .tools/temporal-server).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Connection } from "@temporalio/client";
import { searchAttributeNames } from "../../domain/searchAttributes";
import { findTemporalCli } from "../../lib/temporal/devServer";
import { freshPostgresUrl } from "./postgres";

const ROOT = path.resolve(import.meta.dir, "../..");
const TOOLS = process.env.TEMPORAL_SERVER_DIR ?? path.join(ROOT, ".tools/temporal-server");
const BUILD_SCRIPT = path.join(ROOT, "deploy/tools/build-temporal-server.sh");

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** The PostgreSQL schema files of that server version (`…/postgresql/v12`). */
  schemaRoot: string;
}

export interface ProductionTemporal {
  /** The frontend's `host:port`. */
  address: string;
  namespace: string;
  pid?: number;
  /** The server's own output (last part), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

function binaries(): TemporalServerBinaries {
  return {
    server: path.join(TOOLS, "temporal-server"),
    sqlTool: path.join(TOOLS, "temporal-sql-tool"),
    schemaRoot: path.join(TOOLS, "schema/postgresql/v12"),
  };
}

const present = (b: TemporalServerBinaries) => [b.server, b.sqlTool, b.schemaRoot].every((p) => fs.existsSync(p));

let building: Promise<TemporalServerBinaries> | undefined;

/**
 * The built server. In CI, .ci/run builds it alongside the suite and names the file its exit status
 * lands in: wait for that, then fail loudly if the build did. Elsewhere, build it here when missing.
 */
export function temporalServerBinaries(): Promise<TemporalServerBinaries> {
  building ??= (async () => {
    const b = binaries();
    const rcFile = process.env.DARKROOM_TEMPORAL_SERVER_BUILD_RC;
    if (rcFile) {
      while (!fs.existsSync(rcFile)) await Bun.sleep(1000);
      const rc = fs.readFileSync(rcFile, "utf8").trim();
      if (rc !== "0" || !present(b)) {
        const logFile = process.env.DARKROOM_TEMPORAL_SERVER_BUILD_LOG;
        const log = logFile && fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-4000) : "";
        throw new Error(`Building the production Temporal server (${path.relative(ROOT, BUILD_SCRIPT)}) failed (exit ${rc}):\n${log}`);
      }
      return b;
    }
    if (present(b)) return b;
    if (process.env.CI) {
      throw new Error(
        `The production Temporal server is not built in ${TOOLS}: .ci/run builds it with ${path.relative(ROOT, BUILD_SCRIPT)} ` +
          "and tells the tests where its result lands (DARKROOM_TEMPORAL_SERVER_BUILD_RC); neither happened.",
      );
    }
    const { code, output } = await run(BUILD_SCRIPT, [], { ...process.env } as Record<string, string>);
    if (code !== 0 || !present(b)) throw new Error(`${path.relative(ROOT, BUILD_SCRIPT)} failed (exit ${code}):\n${output.slice(-4000)}`);
    return b;
  })();
  return building;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

export async function startProductionTemporal(opts: { namespace?: string } = {}): Promise<ProductionTemporal> {
  const bin = await temporalServerBinaries();
  const namespace = opts.namespace ?? "darkroom";
  // The test cluster's server, its superuser and a pair of database names of our own.
  const pgUrl = new URL(await freshPostgresUrl());
  const tag = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const dbEnv = {
    POSTGRES_SEEDS: pgUrl.hostname,
    DB_PORT: pgUrl.port || "5432",
    POSTGRES_USER: decodeURIComponent(pgUrl.username),
    DBNAME: `temporal_${tag}`,
    VISIBILITY_DBNAME: `temporal_visibility_${tag}`,
  };
  const password = decodeURIComponent(pgUrl.password);

  const schema = await run(path.join(ROOT, "deploy/temporal/setup-schema.sh"), [], {
    ...(process.env as Record<string, string>),
    ...dbEnv,
    SQL_PASSWORD: password,
    TEMPORAL_SQL_TOOL: bin.sqlTool,
    SCHEMA_ROOT: bin.schemaRoot,
  });
  if (schema.code !== 0) throw new Error(`deploy/temporal/setup-schema.sh failed (exit ${schema.code}):\n${schema.output.slice(-4000)}`);

  const names = [
    "FRONTEND_GRPC_PORT",
    "FRONTEND_HTTP_PORT",
    "FRONTEND_MEMBERSHIP_PORT",
    "MATCHING_GRPC_PORT",
    "MATCHING_MEMBERSHIP_PORT",
    "HISTORY_GRPC_PORT",
    "HISTORY_MEMBERSHIP_PORT",
    "WORKER_GRPC_PORT",
    "WORKER_MEMBERSHIP_PORT",
  ];
  const ports = await distinctFreePorts(names.length);
  const portEnv = Object.fromEntries(names.map((n, i) => [n, String(ports[i])]));
  const child = spawn(bin.server, ["--config-file", path.join(ROOT, "deploy/temporal/config/postgresql.yaml"), "--allow-no-auth", "start"], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...dbEnv,
      ...portEnv,
      POSTGRES_PWD: password,
      BIND_ON_IP: "127.0.0.1",
      DYNAMIC_CONFIG_FILE_PATH: path.join(ROOT, "deploy/temporal/dynamicconfig/production-sql.yaml"),
      LOG_LEVEL: "warn",
      // Each of the four services keeps its own pools; the test cluster is shared by the whole suite.
      SQL_MAX_CONNS: "5",
      SQL_MAX_IDLE_CONNS: "5",
      SQL_VIS_MAX_CONNS: "2",
      SQL_VIS_MAX_IDLE_CONNS: "2",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // `bun test` runs no exit handlers (and a killed process none at all): a watchdog outside this
  // process kills the server once this process's end closes its stdin.
  const watchdog = spawn("sh", ["-c", `read _ignored; kill -9 ${child.pid} 2>/dev/null`], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();

  const address = `127.0.0.1:${portEnv.FRONTEND_GRPC_PORT}`;
  const stop = async () => {
    await stopChild(child);
    watchdog.stdin?.end();
  };
  try {
    await frontendServing(address, child, () => output);
    // The operator's step: darkroom's namespace and search attributes, with the Temporal CLI.
    const cli = findTemporalCli();
    if (!cli) throw new Error("The Temporal CLI is not installed (./darkroom installs it into .tools/temporal); deploy/temporal/setup-darkroom.sh needs it.");
    const setup = await run(path.join(ROOT, "deploy/temporal/setup-darkroom.sh"), [], {
      ...(process.env as Record<string, string>),
      PATH: `${path.dirname(cli)}${path.delimiter}${process.env.PATH ?? ""}`,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      DARKROOM_SEARCH_ATTRIBUTES: searchAttributeNames.join(","),
    });
    if (setup.code !== 0) throw new Error(`deploy/temporal/setup-darkroom.sh failed (exit ${setup.code}):\n${setup.output.slice(-4000)}\nserver:\n${output.slice(-4000)}`);
    await namespaceServing(address, namespace, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, namespace, pid: child.pid, output: () => output, stop };
}

/**
 * Ports that are free now and distinct from each other. Below the kernel's ephemeral range (from
 * 32768): Temporal stores membership ports in a PostgreSQL smallint, which ends at 32767.
 */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!ports.has(port) && (await canListen(port))) ports.add(port);
  }
  return [...ports];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Until the frontend answers (or the server exits, which fails at once with its output). */
async function frontendServing(address: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`temporal-server exited (${child.exitCode ?? child.signalCode}):\n${output().slice(-4000)}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (error) {
      last = error;
    }
    await Bun.sleep(250);
  }
  throw new Error(`temporal-server did not answer on ${address} within 120 s (${String(last)}):\n${output().slice(-4000)}`);
}

/**
 * A new namespace is written at once but each service sees it only after its namespace cache
 * refreshes: wait until namespace-scoped calls are answered.
 */
async function namespaceServing(address: string, namespace: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last: unknown;
  const conn = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`temporal-server exited (${child.exitCode ?? child.signalCode}):\n${output().slice(-4000)}`);
      try {
        // Visibility through the frontend, and a task queue through matching: both know it.
        await conn.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        await conn.workflowService.describeTaskQueue({ namespace, taskQueue: { name: "darkroom-namespace-check" }, taskQueueType: 1 });
        return;
      } catch (error) {
        last = error;
      }
      await Bun.sleep(250);
    }
  } finally {
    await conn.close();
  }
  throw new Error(`namespace ${namespace} was not served within 120 s (${String(last)}):\n${output().slice(-4000)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

