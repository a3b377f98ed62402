/**
 * `./darkroom <command>`: the one entry point for people and for production roles. Every command
 * and option is declared once in COMMANDS, which drives both the parsing (node:util parseArgs,
 * strict: an unknown option is an error, exit code 2) and `--help`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import type { Command } from "./command";
import { createApiKey, registerApiKey, newApiKey, setTenantLimits, type TenantLimits } from "../lib/apiKeys";
import { loadConfig, type Config } from "../lib/config";
import { openDatabase } from "../lib/db";
import { start } from "./runtime";
import { updateTenantBlocklist } from "../service/contentPolicy";
import { SEARCH_ATTRIBUTES } from "../domain/searchAttributes";
import { startDevServer } from "../lib/temporal/devServer";
import { describeHolder, portHolder } from "./ports";
import { setTenantScheduling } from "../lib/tenantScheduling";
import { installTemporalRuntime, setUpLogging } from "./logging";
import { log, type LogLevel } from "../lib/log";
import { CLIENT_COMMANDS } from "./clientCommands";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// ---------------------------------------------------------------------------------------------
// Commands and options

/** A tenant's own limits, for `keys create` and `tenants set`; `default` goes back to the server-wide setting. */
const LIMIT_OPTIONS = {
  "images-per-user-per-day": { type: "string" },
  "images-per-tenant-per-day": { type: "string" },
  "max-concurrent-per-user": { type: "string" },
} as const;
const LIMIT_HELP = {
  "--images-per-user-per-day N|default": "images one chat user (or one dialog) may start per UTC day (default: DARKROOM_QUOTA_USER_DAY)",
  "--images-per-tenant-per-day N|default": "images the tenant may start per UTC day (default: DARKROOM_QUOTA_TENANT_DAY)",
  "--max-concurrent-per-user N|default": "a user's photos made at once, the rest queue (default: MAX_CONCURRENT_GENERATIONS)",
};

function limitsFrom(values: Record<string, unknown>): TenantLimits {
  const one = (option: keyof typeof LIMIT_OPTIONS, min: number): number | null | undefined => {
    const raw = values[option] as string | undefined;
    if (raw === undefined) return undefined;
    if (raw === "default") return null;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min) throw new UsageError(`--${option} must be a whole number >= ${min} or "default", not "${raw}"`);
    return n;
  };
  return {
    imagesPerUserPerDay: one("images-per-user-per-day", 0),
    imagesPerTenantPerDay: one("images-per-tenant-per-day", 0),
    maxConcurrentPerUser: one("max-concurrent-per-user", 1),
  };
}

const COMMANDS: Record<string, Command> = {
  dev: {
    summary: "everything on one machine: API, workers, Temporal dev server + Web UI, database, ComfyUI and Telegram simulators",
    run: () => dev(),
  },
  test: {
    summary: "run the test suite (bun test); other arguments go to bun test",
    usage: "[bun test arguments]",
    passthrough: "e.g. ./darkroom test test/api.test.ts -t 'cancel'",
    run: async (_v, _p, rest) => {
      const junit = process.env.DARKROOM_JUNIT;
      const reporter = junit ? ["--reporter=junit", `--reporter-outfile=${junit}`] : [];
      // Integration tests talk to real servers whose cold starts alone take seconds.
      const timeout = rest.some((a) => a.startsWith("--timeout")) ? [] : ["--timeout=180000"];
      process.exit(await runBun(["test", ...timeout, ...reporter, ...rest]));
    },
  },
  bench: {
    summary: "run the benchmarks; prints a JSON summary last",
    usage: "[benchmark arguments]",
    passthrough: "sizes come from BENCH_* variables (see bench/index.ts)",
    run: async (_v, _p, rest) => process.exit(await runBun(["bench/index.ts", ...rest])),
  },
  keys: {
    summary: "manage API keys: `keys create --tenant NAME` prints a new key for the tenant",
    usage: "create --tenant NAME [limits]",
    options: { tenant: { type: "string" }, ...LIMIT_OPTIONS },
    help: { create: "create a key (the only action)", "--tenant NAME": "the tenant the key belongs to (required)", ...LIMIT_HELP },
    run: (values, positionals) => keys(values, positionals),
  },
  tenants: {
    summary:
      "a tenant's settings: `tenants set --tenant NAME` (GPU queues: --priority, --fairness-weight; daily image limits), `tenants blocklist --tenant NAME [--add ENTRY]… [--remove ENTRY]…` (content policy)",
    usage: "set --tenant NAME [--priority N] [--fairness-weight W] [limits] | blocklist --tenant NAME [--add ENTRY]... [--remove ENTRY]...",
    options: {
      tenant: { type: "string" },
      priority: { type: "string" },
      "fairness-weight": { type: "string" },
      add: { type: "string", multiple: true },
      remove: { type: "string", multiple: true },
      ...LIMIT_OPTIONS,
    },
    help: {
      set: "change the settings given, the others stay as they are; prints them",
      blocklist: "show (and change) the tenant's own prompt blocklist, checked on top of SAFETY_BLOCKLIST",
      "--tenant NAME": "the tenant (required; created by keys create)",
      "--priority N": "set: tier: 1 goes first, 5 last; 3 by default",
      "--fairness-weight W": "set: share of GPU dispatch against other tenants when queues back up (default 1)",
      ...LIMIT_HELP,
      "--add ENTRY": "blocklist: add a word or phrase (whole-word, case-insensitive) or a /regex/flags; repeatable",
      "--remove ENTRY": "blocklist: remove an entry, written as listed; repeatable",
    },
    run: (values, positionals) => tenants(values, positionals),
  },
  api: {
    summary: "the HTTP API alone (needs TEMPORAL_ADDRESS)",
    run: () => role("api"),
  },
  worker: {
    summary: "the main worker alone, or with --gpu the worker of ComfyUI instances (needs TEMPORAL_ADDRESS)",
    usage: "[--gpu NAME]",
    options: { gpu: { type: "string" } },
    help: { "--gpu NAME": "poll only comfy.NAME, the queue of the COMFYUI_INSTANCES entry NAME; a comma-separated list (a,b) serves several instances from one process (e.g. one machine's GPUs), sharing its memory" },
    run: (values) => role("worker", values.gpu as string | undefined),
  },
  simulator: {
    summary: "the ComfyUI simulator alone (COMFYUI_SIM_* settings)",
    run: () => import("../simulators/comfyui/main"),
  },
  openapi: {
    summary: "print the OpenAPI document clients are generated from (no server needed)",
    usage: "[--out FILE]",
    options: { out: { type: "string" } },
    help: { "--out FILE": "write it to FILE instead of standard output" },
    run: async (values) => {
      const { openapiDocument } = await import("./openapiDocument");
      const text = JSON.stringify(await openapiDocument(), null, 2) + "\n";
      if (values.out) fs.writeFileSync(values.out as string, text);
      else process.stdout.write(text);
    },
  },
  ...CLIENT_COMMANDS,
};

/** A command used wrongly (missing option or action): exit code 2 with a pointer to --help. */
class UsageError extends Error {}
/** Something in the way of starting (a taken port, a bad setting): exit code 1, the message says what to do. */
class CannotStart extends Error {}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  const lines = [`usage: ./darkroom ${name}${c.usage ? " " + c.usage : ""}`, "", `  ${c.summary}`, ""];
  const rows = Object.entries({ ...c.help, "--help, -h": "show this help" });
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(width)}  ${v}`);
  if (c.passthrough) lines.push("", `  ${c.passthrough}`);
  if (c.footer) lines.push("", `  ${c.footer}`);
  return lines.join("\n");
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => [`${name}${c.usage ? " " + c.usage : ""}`, c.summary] as const);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    "usage: ./darkroom <command> [options]",
    "",
    "commands:",
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    "",
    "options:",
    "  --help, -h   show this help; ./darkroom <command> --help shows the command's options",
    "",
    "Settings come from environment variables (README, Configuration).",
  ].join("\n");
}

function usageError(message: string, command?: string): never {
  console.error(`darkroom${command ? " " + command : ""}: ${message}`);
  console.error(`Run ./darkroom ${command ? command + " " : ""}--help for the ${command ? "options" : "commands"}.`);
  process.exit(2);
}

async function main() {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined) {
    console.error(mainHelp());
    process.exit(2);
  }
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) usageError(name.startsWith("-") ? `unknown option ${name}` : `unknown command "${name}"`);

  if (command.passthrough) {
    if (args[0] === "--help" || args[0] === "-h") return void console.log(commandHelp(name));
    return command.run({}, [], args);
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: name === "keys" || name === "tenants" || !!command.positionals,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    // parseArgs' messages name the option ("Unknown option '--gpuu'"); the hint about -- is noise here.
    usageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ""), name);
  }
  if (parsed.values.help) return void console.log(commandHelp(name));
  try {
    await command.run(parsed.values, parsed.positionals, []);
  } catch (err) {
    if (err instanceof UsageError) usageError(err.message, name);
    if (err instanceof CannotStart) {
      console.error(`darkroom ${name}: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// dev

/** Where the embedded Temporal dev server listens; TEMPORAL_UI_PORT (config) is its Web UI. */
const TEMPORAL_PORT_DEFAULT = 7233;
/** The Telegram Bot API simulator `dev` starts when no TELEGRAM_BOT_TOKEN is configured. */
const TELEGRAM_SIM_PORT_DEFAULT = 8081;
const TELEGRAM_SIM_TOKEN = "dev-bot-token";

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CannotStart(`${name} must be a port number, got "${raw}"`);
  return n;
}

/** Undo what has started so far, newest first. Anything added after closing is undone at once. */
class Cleanup {
  private stops: Array<{ what: string; stop: () => Promise<unknown> }> = [];
  private closed = false;

  async add(what: string, stop: () => Promise<unknown>) {
    if (this.closed) await stop().catch(() => {});
    else this.stops.unshift({ what, stop });
  }

  get isClosed() {
    return this.closed;
  }

  async run() {
    this.closed = true;
    const stops = this.stops.splice(0);
    for (const { what, stop } of stops) {
      await stop().catch((err) => console.error(`darkroom: stopping the ${what} failed: ${(err as Error).message}`));
    }
    killOwnChildren();
  }
}

/**
 * The last line of defence: child processes (the Temporal dev server) still alive after their
 * orderly stop are killed, so no `./darkroom dev` leaves a server holding its ports.
 */
function killOwnChildren() {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return;
  }
  for (const pid of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // pid (comm) state ppid ...; comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid) process.kill(Number(pid), "SIGKILL");
    } catch {}
  }
}

async function checkPorts(wanted: Array<{ port: number; what: string; setting: string }>) {
  const problems: string[] = [];
  for (const { port, what, setting } of wanted) {
    const holder = await portHolder(port);
    if (holder) problems.push(`port ${port} (${what}) is in use by ${describeHolder(holder)}: stop it, or set ${setting} to another port`);
  }
  if (problems.length) throw new CannotStart(problems.join("\n  "));
}

async function dev() {
  const config = loadConfig();
  const cleanup = new Cleanup();
  let starting = true;
  let signalled = false;
  const onSignal = async () => {
    if (signalled) {
      killOwnChildren();
      process.exit(130);
    }
    signalled = true;
    console.error("\ndarkroom: stopping ...");
    // During start the step under way finishes (or fails) and its own stop runs at once.
    await cleanup.run();
    process.exit(starting ? 130 : 0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  try {
    await devStart(config, cleanup);
    starting = false;
  } catch (err) {
    await cleanup.run();
    if (signalled) return; // the signal handler exits
    console.error(`darkroom dev: could not start:\n  ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

async function devStart(config: Config, cleanup: Cleanup) {
  const startsTemporal = !config.temporal.address;
  const startsComfy = config.comfy.instances.length === 0;
  const startsTelegram = !config.telegram.botToken;
  const temporalPort = intEnv("TEMPORAL_PORT", TEMPORAL_PORT_DEFAULT);
  const telegramPort = intEnv("TELEGRAM_SIM_PORT", TELEGRAM_SIM_PORT_DEFAULT);

  // Every port first, before anything starts: a clear refusal instead of a half-started stack.
  await checkPorts([
    { port: config.port, what: "the API", setting: "PORT" },
    ...(startsTemporal
      ? [
          { port: temporalPort, what: "the Temporal dev server", setting: "TEMPORAL_PORT (or TEMPORAL_ADDRESS for a running server)" },
          { port: config.temporal.uiPort, what: "the Temporal Web UI", setting: "TEMPORAL_UI_PORT" },
        ]
      : []),
    ...(startsComfy
      ? Array.from({ length: config.simulator.instances }, (_, i) => ({
          port: config.simulator.port + i,
          what: `ComfyUI simulator gpu${i}`,
          setting: "COMFYUI_SIM_PORT",
        }))
      : []),
    ...(startsTelegram ? [{ port: telegramPort, what: "the Telegram simulator", setting: "TELEGRAM_SIM_PORT" }] : []),
  ]);
  fs.mkdirSync(config.dataDir, { recursive: true });
  setUpLogging(config, "dev");
  await installTemporalRuntime(log().level as LogLevel);

  let temporalUi: string | undefined;
  if (startsTemporal) {
    const temporal = await startDevServer({
      cliPath: config.temporal.cliPath,
      dbFile: path.join(config.dataDir, "temporal.sqlite"),
      port: temporalPort,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      searchAttributes: SEARCH_ATTRIBUTES,
    });
    await cleanup.add("Temporal dev server", temporal.stop);
    config.temporal.address = temporal.address;
    temporalUi = temporal.uiUrl;
  }
  if (cleanup.isClosed) return;

  let comfySimulator: string[] = [];
  if (startsComfy) {
    const { startComfySimulator } = await import("../simulators/comfyui");
    const sim = await startComfySimulator({
      instances: config.simulator.instances,
      basePort: config.simulator.port,
      host: config.simulator.host,
      steps: config.simulator.steps,
      stepMs: config.simulator.stepMs,
      outputDir: path.join(config.dataDir, "simulator"),
      jobsApi: config.simulator.jobsApi,
    });
    await cleanup.add("ComfyUI simulator", sim.stop);
    config.comfy.instances = sim.instances.map((i, n) => ({ name: `gpu${n}`, url: i.url, concurrency: 4 }));
    comfySimulator = config.comfy.instances.map((i) => `${i.name} ${i.url}`);
  }

  let telegramSimulator: string | undefined;
  if (startsTelegram) {
    const { startTelegramSimulator } = await import("../simulators/telegram");
    const tg = await startTelegramSimulator({ token: TELEGRAM_SIM_TOKEN, port: telegramPort });
    await cleanup.add("Telegram simulator", tg.stop);
    config.telegram = { apiUrl: tg.url, botToken: TELEGRAM_SIM_TOKEN };
    telegramSimulator = tg.url;
  }
  if (cleanup.isClosed) return;

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await cleanup.add("database", () => db.close());
  let key = config.apiKeys[0]?.key;
  if (!key) {
    const keyFile = path.join(config.dataDir, "dev-api-key");
    key = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, "utf8").trim() : newApiKey();
    fs.writeFileSync(keyFile, key, { mode: 0o600 });
    await registerApiKey(db.prisma, "dev", key);
  }
  if (cleanup.isClosed) return;

  const running = await start(config, { api: true, worker: true, gpu: config.comfy.instances.map((i) => i.name) }, { db, temporalAddress: config.temporal.address });
  await cleanup.add("API and workers", running.stop);
  if (cleanup.isClosed) return;

  const api = config.publicUrl;
  const demo = `${api}/demo?key=${encodeURIComponent(key)}${telegramSimulator ? `&telegram=${encodeURIComponent(telegramSimulator)}` : ""}`;
  const auth = `-H 'authorization: Bearer ${key}'`;
  const rows: Array<[string, string]> = [
    ["API", api],
    ["OpenAPI docs", `${api}/openapi`],
    ["Demo console", demo],
    ["Temporal Web UI", temporalUi ?? `(external Temporal at ${config.temporal.address})`],
    ["ComfyUI", comfySimulator.length ? `simulator: ${comfySimulator.join(", ")}` : config.comfy.instances.map((i) => `${i.name} ${i.url}`).join(", ")],
    [
      "Telegram",
      telegramSimulator
        ? `simulator ${telegramSimulator} (bot token ${TELEGRAM_SIM_TOKEN}; what it received: ${telegramSimulator}/received)`
        : `${config.telegram.apiUrl} (TELEGRAM_BOT_TOKEN)`,
    ],
    ["Database", db.kind === "pglite" ? `embedded PGlite in ${path.join(config.dataDir, "pglite")}` : "PostgreSQL (DATABASE_URL)"],
    ["API key", key],
  ];
  console.log(`
darkroom dev is running (data in ${config.dataDir}; Ctrl-C stops everything)

${rows.map(([k, v]) => `  ${k.padEnd(16)} ${v}`).join("\n")}

Try it: a companion photo, then read its generation
  GEN=$(curl -s ${api}/v1/agents/sofia/replies ${auth} -H 'content-type: application/json' \\
    -d '{"userId":"u1","text":"¡Dale! [IMAGE: selfie mía en la playa al atardecer]","persona":{"name":"Sofia","personality":"alegre y divertida"}}' \\
    | sed -n 's/.*"generations":\\[{"id":"\\([^"]*\\)".*/\\1/p')
  curl -s ${api}/v1/generations/$GEN ${auth}
`);
}

// ---------------------------------------------------------------------------------------------
// Production roles, keys, bun

function stopOnSignals(stop: () => Promise<void>) {
  let stopping = false;
  const handler = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    log().info("stopping");
    await stop().catch((err) => log().error({ err }, "stopping failed"));
    log().flush();
    process.exit(0);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/**
 * A worker's image work (sharp, workflow tasks, previews) can wait a few milliseconds; a chat reply
 * should not. On a host that runs both, a higher niceness lets the API's process run first whenever
 * both want the CPU, and costs nothing when the worker has the host to itself. Raising one's own
 * niceness needs no privileges; a platform that refuses it only gets a warning.
 *
 * On Linux niceness belongs to each thread, and a new thread takes its creator's: every thread
 * the runtime has started so far is lowered, and the ones started later (the Temporal SDK's, sharp's)
 * follow from them.
 */
function yieldCpuToTheApi(niceness: number) {
  if (niceness === 0) return;
  let threads = [0];
  try {
    threads = fs.readdirSync("/proc/self/task").map(Number);
  } catch {
    // No /proc (not Linux): the process as a whole.
  }
  for (const thread of threads) {
    try {
      os.setPriority(thread, Math.max(os.getPriority(thread), niceness));
    } catch (error) {
      // A thread that ended since the listing needs nothing; any other refusal holds for all of them.
      if ((error as { code?: string }).code === "ESRCH") continue;
      log().warn({ niceness, error: String(error) }, "could not lower the worker's CPU priority; it competes with the API as an equal");
      return;
    }
  }
}

async function role(kind: "api" | "worker", gpu?: string) {
  const config = loadConfig();
  if (!config.temporal.address) throw new CannotStart(`needs TEMPORAL_ADDRESS (host:port of a Temporal frontend); ./darkroom dev starts one for you.`);
  const instances = gpu ? gpu.split(",").map((name) => name.trim()).filter(Boolean) : [];
  setUpLogging(config, kind === "api" ? "api" : gpu ? "gpu-worker" : "worker");
  // Before the Temporal runtime starts its threads, so that they start lowered too.
  if (kind === "worker") yieldCpuToTheApi(config.workerNiceness);
  if (gpu) await installTemporalRuntime(log().level as LogLevel);
  const running = await start(config, kind === "api" ? { api: true } : gpu ? { gpu: instances } : { worker: true });
  stopOnSignals(running.stop);
  // The line that says the role is up is written at any LOG_LEVEL but `silent`: orchestrators and
  // people wait for it.
  const ready = log().level === "silent" ? log() : log().child({}, { level: "info" });
  if (kind === "api") ready.info({ url: config.publicUrl }, `darkroom API listening on ${config.publicUrl}`);
  else if (instances.length === 0) ready.info({ taskQueue: config.temporal.taskQueue }, `darkroom worker polling ${config.temporal.taskQueue}`);
  else for (const name of instances) ready.info({ instance: name, taskQueue: `comfy.${name}` }, `darkroom GPU worker for ${name} polling comfy.${name}`);
}

async function keys(values: Record<string, string | boolean | undefined>, positionals: string[]) {
  if (positionals.length !== 1 || positionals[0] !== "create") {
    throw new UsageError(positionals.length ? `unknown action "${positionals.join(" ")}" (known: create)` : "missing action (known: create)");
  }
  const tenant = values.tenant as string | undefined;
  if (!tenant) throw new UsageError("create needs --tenant NAME");
  const limits = limitsFrom(values);
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const key = await createApiKey(db.prisma, tenant);
    if (Object.values(limits).some((v) => v !== undefined)) await setTenantLimits(db.prisma, tenant, limits);
    console.log(key);
  } finally {
    await db.close();
  }
}

async function tenants(values: Record<string, unknown>, positionals: string[]) {
  const action = positionals.length === 1 ? positionals[0] : undefined;
  if (action !== "set" && action !== "blocklist") {
    throw new UsageError(positionals.length ? `unknown action "${positionals.join(" ")}" (known: set, blocklist)` : "missing action (known: set, blocklist)");
  }
  const tenant = values.tenant as string | undefined;
  if (!tenant) throw new UsageError(`${action} needs --tenant NAME`);
  if (action === "blocklist") {
    const config = loadConfig();
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const list = await updateTenantBlocklist(db.prisma, tenant, { add: values.add as string[] | undefined, remove: values.remove as string[] | undefined }).catch((err: Error) => {
        throw new CannotStart(err.message);
      });
      console.log(list.length ? list.join("\n") : `(tenant ${tenant} has no blocklist entries of its own)`);
    } finally {
      await db.close();
    }
    return;
  }
  const number = (name: string) => {
    const v = values[name] as string | undefined;
    if (v === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`--${name} must be a number, got "${v}"`);
    return Number(v);
  };
  const wanted = { priority: number("priority"), fairnessWeight: number("fairness-weight") };
  const limits = limitsFrom(values);
  const scheduling = wanted.priority !== undefined || wanted.fairnessWeight !== undefined;
  const limiting = Object.values(limits).some((v) => v !== undefined);
  if (!scheduling && !limiting) throw new UsageError("set needs --priority, --fairness-weight and/or a limit such as --images-per-user-per-day");
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (scheduling) {
      const now = await setTenantScheduling(db.prisma, tenant, wanted);
      console.log(`tenant ${tenant}: priority ${now.priority}, fairness weight ${now.fairnessWeight} (running APIs pick it up within 5 s)`);
    }
    if (limiting) {
      const set = await setTenantLimits(db.prisma, tenant, limits);
      const show = (v: number | null, fallback: number | undefined) => (v === null ? `default (${fallback ?? "no limit"})` : String(v));
      console.log(`tenant ${set.name}`);
      console.log(`  images per user per day    ${show(set.imagesPerUserPerDay, config.quotas.userPerDay)}`);
      console.log(`  images per tenant per day  ${show(set.imagesPerTenantPerDay, config.quotas.tenantPerDay)}`);
      console.log(`  max concurrent per user    ${show(set.maxConcurrentPerUser, config.maxConcurrentGenerations)}`);
    }
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

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
