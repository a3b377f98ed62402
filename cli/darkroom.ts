/**
 * `./darkroom <command>`: the one entry point for people and for production roles.
 *   dev                       everything on embedded defaults, in one process
 *   test [bun test args]      the whole suite
 *   bench                     the benchmarks (JSON summary last)
 *   keys create --tenant N    a new API key
 *   api | worker [--gpu NAME] | simulator   single production roles
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { createApiKey, registerApiKey, newApiKey } from "../lib/apiKeys";
import { loadConfig, type Config } from "../lib/config";
import { openDatabase } from "../lib/db";
import { start, type Running } from "./runtime";
import { SEARCH_ATTRIBUTES } from "../domain/searchAttributes";
import { freePort, startDevServer, type DevServer } from "../lib/temporal/devServer";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function usage(): never {
  console.error(`usage: ./darkroom <command>

  dev                         start API, workers, Temporal dev server (Web UI), database and ComfyUI simulator
  test [args]                 run the test suite (bun test)
  bench                       run the benchmarks; prints a JSON summary last
  keys create --tenant NAME   print a new API key for the tenant
  api                         the HTTP API alone        (needs TEMPORAL_ADDRESS)
  worker                      the main worker alone     (needs TEMPORAL_ADDRESS)
  worker --gpu NAME           the worker for one ComfyUI instance's queue
  simulator                   the ComfyUI simulator alone`);
  process.exit(2);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith("--")) {
    console.error(`${name} needs a value`);
    process.exit(2);
  }
  return value;
}

function stopOnSignals(stop: () => Promise<void>) {
  let stopping = false;
  const handler = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error("\nstopping ...");
    await stop().catch((err) => console.error(err));
    process.exit(0);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

function requireTemporal(config: Config, role: string) {
  if (!config.temporal.address) {
    console.error(`./darkroom ${role} needs TEMPORAL_ADDRESS (host:port of a Temporal frontend); ./darkroom dev starts one for you.`);
    process.exit(2);
  }
}

async function dev() {
  const config = loadConfig();
  fs.mkdirSync(config.dataDir, { recursive: true });
  const stoppers: Array<() => Promise<void>> = [];

  let temporal: DevServer | undefined;
  if (!config.temporal.address) {
    const port = (await portIsFree(7233)) ? 7233 : await freePort();
    const uiPort = (await portIsFree(config.temporal.uiPort)) ? config.temporal.uiPort : await freePort();
    temporal = await startDevServer({
      cliPath: config.temporal.cliPath,
      dbFile: path.join(config.dataDir, "temporal.sqlite"),
      port,
      uiPort,
      namespace: config.temporal.namespace,
      searchAttributes: SEARCH_ATTRIBUTES,
    });
    config.temporal.address = temporal.address;
    stoppers.push(temporal.stop);
  }

  let simulatorUrls: string[] = [];
  if (config.comfy.instances.length === 0) {
    const { startComfySimulator } = await import("../simulators/comfyui");
    type SimInstance = { url: string };
    const sim = await startComfySimulator({
      instances: config.simulator.instances,
      basePort: config.simulator.port,
      steps: config.simulator.steps,
      stepMs: config.simulator.stepMs,
      outputDir: path.join(config.dataDir, "simulator"),
    });
    config.comfy.instances = sim.instances.map((i: SimInstance, n: number) => ({ name: `gpu${n}`, url: i.url, concurrency: 4 }));
    simulatorUrls = sim.instances.map((i: SimInstance) => i.url);
    stoppers.unshift(() => sim.stop());
  }

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  let devKey: string | undefined;
  if (config.apiKeys.length === 0) {
    const keyFile = path.join(config.dataDir, "dev-api-key");
    devKey = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, "utf8").trim() : newApiKey();
    fs.writeFileSync(keyFile, devKey, { mode: 0o600 });
    await registerApiKey(db.prisma, "dev", devKey);
  }

  const running: Running = await start(
    config,
    { api: true, worker: true, gpu: config.comfy.instances.map((i) => i.name) },
    { db, temporalAddress: config.temporal.address },
  );
  stoppers.unshift(async () => {
    await running.stop();
    await db.close();
  });
  stopOnSignals(async () => {
    for (const stop of stoppers) await stop().catch((err) => console.error(err));
  });

  const key = devKey ?? config.apiKeys[0]?.key;
  console.log(`
darkroom is running (data in ${config.dataDir})

  API              ${config.publicUrl}
  OpenAPI docs     ${config.publicUrl}/openapi
  Temporal Web UI  ${temporal?.uiUrl ?? `(external Temporal at ${config.temporal.address})`}
  Database         ${db.kind === "pglite" ? `embedded PGlite in ${path.join(config.dataDir, "pglite")}` : "PostgreSQL (DATABASE_URL)"}
  ComfyUI          ${simulatorUrls.length ? `simulator: ${simulatorUrls.join(", ")}` : config.comfy.instances.map((i) => `${i.name}=${i.url}`).join(", ")}
  API key          ${key}

Try it:
  curl -s ${config.publicUrl}/v1/agents/sofia/replies -H 'authorization: Bearer ${key}' -H 'content-type: application/json' \\
    -d '{"userId":"u1","text":"¡Dale! [IMAGE: selfie mía en la playa al atardecer]","persona":{"name":"Sofia","personality":"alegre y divertida"}}'
  curl -s '${config.publicUrl}/v1/agents/sofia/pending-images?userId=u1' -H 'authorization: Bearer ${key}'
`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

async function role(kind: "api" | "worker", args: string[]) {
  const config = loadConfig();
  requireTemporal(config, kind);
  const gpu = flag(args, "--gpu");
  const running = await start(config, kind === "api" ? { api: true } : gpu ? { gpu: [gpu] } : { worker: true });
  stopOnSignals(running.stop);
  console.log(
    kind === "api" ? `darkroom API listening on ${config.publicUrl}` : gpu ? `darkroom GPU worker for ${gpu} polling comfy.${gpu}` : `darkroom worker polling ${config.temporal.taskQueue}`,
  );
}

async function keys(args: string[]) {
  if (args[0] !== "create") usage();
  const tenant = flag(args, "--tenant");
  if (!tenant) usage();
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    console.log(await createApiKey(db.prisma, tenant));
  } finally {
    await db.close();
  }
}

function runBun(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case "dev":
      return dev();
    case "test": {
      const junit = process.env.DARKROOM_JUNIT;
      const reporter = junit ? ["--reporter=junit", `--reporter-outfile=${junit}`] : [];
      // Integration tests talk to real servers whose cold starts alone take seconds.
      const timeout = args.some((a) => a.startsWith("--timeout")) ? [] : ["--timeout=180000"];
      process.exit(await runBun(["test", ...timeout, ...reporter, ...args]));
    }
    case "bench":
      process.exit(await runBun(["bench/index.ts", ...args]));
    case "keys":
      return keys(args);
    case "api":
    case "worker":
      return role(command, args);
    case "simulator":
      await import("../simulators/comfyui/main");
      return;
    default:
      usage();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
