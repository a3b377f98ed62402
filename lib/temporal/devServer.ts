/**
 * The embedded Temporal dev server (`temporal server start-dev`): what `./darkroom dev` and the test
 * suite run when no TEMPORAL_ADDRESS is given. SQLite persistence keeps workflows across restarts,
 * and the Web UI is where operators cancel and reset generations.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Connection } from "@temporalio/client";
import { SearchAttributeType } from "@temporalio/common";
import type { SearchAttributeKey } from "@temporalio/common/lib/search-attributes";

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** The server's process, when this process started it. */
  pid?: number;
  stop(): Promise<void>;
}

/** TEMPORAL_CLI_PATH, then `temporal` on PATH, then the project-local install made by ./darkroom. */
export function findTemporalCli(explicit?: string): string | undefined {
  const candidates = [explicit, process.env.TEMPORAL_CLI_PATH];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  const which = spawnSync(process.platform === "win32" ? "where" : "which", ["temporal"], { encoding: "utf8" });
  const onPath = which.status === 0 ? which.stdout.split("\n")[0]?.trim() : undefined;
  if (onPath) return onPath;
  const local = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../.tools/temporal/bin/temporal");
  return fs.existsSync(local) ? local : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDevServer(opts: {
  cliPath?: string;
  dbFile?: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  /** More namespaces to create at start. */
  extraNamespaces?: string[];
  /** Custom search attributes to register at start (the caller's vocabulary; this module has none). */
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
  log?: (line: string) => void;
}): Promise<DevServer> {
  const cli = findTemporalCli(opts.cliPath);
  if (!cli) return startSdkDownloadedServer(opts);
  const port = opts.port ?? (await freePort());
  const args = ["server", "start-dev", "--ip", "127.0.0.1", "--port", String(port), "--log-level", "error"];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push("--db-filename", opts.dbFile);
  }
  if (opts.headless) args.push("--headless");
  else args.push("--ui-port", String(opts.uiPort ?? (await freePort())));
  if (opts.namespace && opts.namespace !== "default") args.push("--namespace", opts.namespace);
  for (const namespace of opts.extraNamespaces ?? []) args.push("--namespace", namespace);
  for (const key of opts.searchAttributes ?? []) args.push("--search-attribute", `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
  // Faster activity/workflow dispatch in dev; the defaults are tuned for clusters, not one box.
  args.push("--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true");
  args.push("--dynamic-config-value", "frontend.enableExecuteMultiOperation=true");
  // Task-queue priority and fairness (the matcher that honours a workflow's priority key and
  // fairness key/weight); off by default on the server.
  args.push("--dynamic-config-value", "matching.useNewMatcher=true");
  args.push("--dynamic-config-value", "matching.enableFairness=true");
  // One partition per task queue: priority and fairness order tasks within a partition, and a GPU
  // instance's queue has a single worker polling it, so partitions would only make the order loose.
  args.push("--dynamic-config-value", "matching.numTaskqueueReadPartitions=1");
  args.push("--dynamic-config-value", "matching.numTaskqueueWritePartitions=1");

  const child = spawn(cli, args, { stdio: ["ignore", "pipe", "pipe"], detached: false });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => {
    output += d;
    opts.log?.(String(d));
  });
  const address = `127.0.0.1:${port}`;
  await waitUntilReachable(address, child, () => output);
  const uiPort = args[args.indexOf("--ui-port") + 1];
  return {
    address,
    uiUrl: opts.headless ? undefined : `http://localhost:${uiPort}`,
    pid: child.pid,
    stop: () => stopChild(child),
  };
}

/** The dev server's `--search-attribute Name=Type` spelling of each type. */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: "Text",
  [SearchAttributeType.KEYWORD]: "Keyword",
  [SearchAttributeType.INT]: "Int",
  [SearchAttributeType.DOUBLE]: "Double",
  [SearchAttributeType.BOOL]: "Bool",
  [SearchAttributeType.DATETIME]: "Datetime",
  [SearchAttributeType.KEYWORD_LIST]: "KeywordList",
};

async function waitUntilReachable(address: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited = false;
  child.once("exit", () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`temporal server start-dev exited early:\n${output().slice(-2000)}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`temporal dev server did not answer on ${address} within 60 s:\n${output().slice(-2000)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Last resort on machines with internet: the SDK downloads the same CLI and runs it. */
async function startSdkDownloadedServer(opts: {
  dbFile?: string;
  namespace?: string;
  headless?: boolean;
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
}): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import("@temporalio/testing");
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      dbFilename: opts.dbFile,
      namespace: opts.namespace,
      ui: !opts.headless,
      searchAttributes: opts.searchAttributes ?? [],
    },
  });
  return { address: env.address, stop: () => env.teardown() };
}
