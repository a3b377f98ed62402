/**
 * A stand-in for Prisma's native `schema-engine` binary, for machines that cannot download it.
 *
 * Why: every Prisma CLI command that touches a database (migrate dev/deploy/status/diff, db push)
 * first downloads a native schema engine from Prisma's binaries host. Where that host is
 * unreachable (offline CI, sandboxes) the CLI cannot run. The same engine is published as
 * WebAssembly and talks to the database through a JS driver adapter, so this script plays the
 * binary's part: the CLI starts it through PRISMA_SCHEMA_ENGINE_BINARY (see ./schema-engine,
 * ./prisma.ts), passes `--datamodels <file>... --datasource <json>` and speaks newline-delimited
 * JSON-RPC over stdin/stdout; each request is handed to the Wasm engine.
 *
 * Versions are pinned exactly because this leans on Prisma internals: the engine Wasm is the one
 * the `prisma` package itself ships (build/schema_engine_bg.wasm, same engine hash as the CLI), and
 * the JS bindings come from `@prisma/schema-engine-wasm`, whose imports must match that Wasm
 * (checked at start). With internet access the downloaded native engine works as well.
 *
 * Databases: the datasource URL's PostgreSQL via `pg`. With SCHEMA_ENGINE_PGLITE=1 an in-memory
 * PGlite serves as database and shadow database, so migrations can be authored with no server.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
} from "@prisma/driver-adapter-utils";
import * as bindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";

const ENGINE_NAME = "schema-engine-cli";

interface Datasource {
  url?: string;
  shadowDatabaseUrl?: string;
}

interface RpcRequest {
  id: number;
  jsonrpc: "2.0";
  method: string;
  params?: Record<string, unknown>;
}

/** The Wasm's panic hook reports its message here (the bindings call `global.PRISMA_WASM_PANIC_REGISTRY`). */
class PanicRegistry {
  message = "";
  get() {
    return this.message;
  }
  set_message(message: string) {
    this.message = `RuntimeError: ${message}`;
  }
}
const panics = new PanicRegistry();
(globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = panics;

function loadEngineWasm(): typeof bindings {
  const require = createRequire(import.meta.url);
  const wasmPath = path.join(path.dirname(require.resolve("prisma/package.json")), "build", "schema_engine_bg.wasm");
  const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
  const imports = bindings as unknown as Record<string, unknown>;
  const missing = WebAssembly.Module.imports(module).filter((i) => typeof imports[i.name] !== "function");
  if (missing.length > 0) {
    throw new Error(
      `@prisma/schema-engine-wasm's bindings do not fit ${wasmPath} (missing ${missing.map((i) => i.name).join(", ")}): ` +
        "pin @prisma/schema-engine-wasm to the build matching the installed prisma version.",
    );
  }
  const instance = new WebAssembly.Instance(module, { "./schema_engine_bg.js": imports as WebAssembly.ModuleImports });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bindings;
}

function parseArgs(argv: string[]): { datamodels: string[]; datasource: Datasource; version: boolean; cliCommand?: string } {
  const datamodels: string[] = [];
  let datasource: Datasource = {};
  let version = false;
  let cliCommand: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--datamodels") datamodels.push(argv[++i]!);
    else if (arg === "--datasource") datasource = JSON.parse(argv[++i]!) as Datasource;
    else if (arg === "--version" || arg === "-V") version = true;
    else if (arg === "cli") cliCommand = argv[++i];
  }
  return { datamodels, datasource, version, cliCommand };
}

/**
 * The binary's one-shot `cli <command>` mode, used by the CLI to check the database exists and
 * create it (migrate dev). It reports failures as JSON log lines on stderr after a first line.
 */
async function runCliCommand(command: string, datasource: Datasource): Promise<number> {
  const fail = (errorCode: string, message: string) => {
    process.stderr.write(`${ENGINE_NAME}\n${JSON.stringify({ level: "ERROR", target: "schema_engine::logger", fields: { error_code: errorCode, message } })}\n`);
    return 1;
  };
  if (process.env.SCHEMA_ENGINE_PGLITE === "1") return 0;
  if (!datasource.url) return fail("P1012", "The datasource has no url.");
  const target = new URL(datasource.url);
  const database = decodeURIComponent(target.pathname.slice(1)) || "postgres";
  const serverUrl = new URL(datasource.url);
  serverUrl.pathname = "/postgres";
  const run = async (url: string, sql?: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      if (sql) await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    if (command === "can-connect-to-database") await run(datasource.url);
    else if (command === "create-database") await run(serverUrl.toString(), `CREATE DATABASE "${database.replaceAll('"', '""')}"`);
    else if (command === "drop-database") await run(serverUrl.toString(), `DROP DATABASE IF EXISTS "${database.replaceAll('"', '""')}"`);
    else return fail("P1012", `Unknown cli command "${command}"`);
    return 0;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === "3D000") return fail("P1003", `Database \`${database}\` does not exist at \`${target.host}\``);
    return fail("P1001", `Can't reach database server at \`${target.host}\`: ${e.message ?? String(error)}`);
  }
}

/**
 * PostgreSQL's internal one-byte `"char"` type (pg_constraint.contype, pg_class.relkind, read by
 * the engine's schema describer) is unknown to both driver adapters, which then refuse the whole
 * result; the engine wants it as a `Character` column. So the drivers report such fields as `text`
 * (oid 25, same text form), remembering their positions on the result, and the adapters' answers
 * are corrected afterwards.
 */
const CHAR_OID = 18;
const TEXT_OID = 25;
const charColumnsOf = new WeakMap<object, number[]>();

function markCharFields(result: object, fields: Array<{ dataTypeID: number }>) {
  const positions: number[] = [];
  fields.forEach((field, i) => {
    if (field.dataTypeID !== CHAR_OID) return;
    field.dataTypeID = TEXT_OID;
    positions.push(i);
  });
  if (positions.length) charColumnsOf.set(result, positions);
}

function pgReadingCharFields() {
  // `addFields` is where pg reads a result's column descriptions; it is not in pg's typings.
  const resultPrototype = pg.Result.prototype as unknown as { addFields(this: object, fields: Array<{ dataTypeID: number }>): void };
  const addFields = resultPrototype.addFields;
  resultPrototype.addFields = function (fields) {
    markCharFields(this, fields);
    return addFields.call(this, fields);
  };
}

function pgliteReadingCharFields(db: PGlite): PGlite {
  const query = db.query.bind(db);
  db.query = (async (...args: Parameters<PGlite["query"]>) => {
    const result = await query(...args);
    markCharFields(result, result.fields as Array<{ dataTypeID: number }>);
    return result;
  }) as PGlite["query"];
  return db;
}

type Queryable = Pick<SqlDriverAdapter, "queryRaw"> & { performIO(query: SqlQuery): Promise<object> };

function correctCharColumns<Q extends object>(queryable: Q): Q {
  const target = queryable as unknown as Queryable;
  const performIO = target.performIO.bind(target);
  const queryRaw = target.queryRaw.bind(target);
  const charColumnsByQuery = new WeakMap<SqlQuery, number[]>();
  target.performIO = async (query) => {
    const result = await performIO(query);
    const positions = charColumnsOf.get(result);
    if (positions) charColumnsByQuery.set(query, positions);
    return result;
  };
  target.queryRaw = async (query) => {
    const resultSet = await queryRaw(query);
    for (const i of charColumnsByQuery.get(query) ?? []) resultSet.columnTypes[i] = ColumnTypeEnum.Character;
    return resultSet;
  };
  return queryable;
}

/** Applies the `"char"` correction to an adapter and to every transaction it starts. */
function withCharColumns(adapter: SqlDriverAdapter): SqlDriverAdapter {
  correctCharColumns(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => correctCharColumns(await startTransaction(isolationLevel));
  return adapter;
}

/** PGlite's adapter starts scripts without awaiting them; the engine needs their errors. */
function awaitingScripts(adapter: SqlDriverAdapter, db: PGlite): SqlDriverAdapter {
  const onError = (adapter as unknown as { onError(e: unknown): never }).onError.bind(adapter);
  adapter.executeScript = async (script) => {
    try {
      await db.exec(script);
    } catch (error) {
      onError(error);
    }
  };
  return adapter;
}

function pgliteFactory(): SqlMigrationAwareDriverAdapterFactory {
  const main = pgliteReadingCharFields(new PGlite());
  const factory = new PrismaPGlite(main) as unknown as SqlMigrationAwareDriverAdapterFactory;
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => withCharColumns(awaitingScripts(await factory.connect(), main)),
    connectToShadowDb: async () => {
      const shadow = pgliteReadingCharFields(new PGlite());
      const adapter = withCharColumns(awaitingScripts(await new PrismaPGlite(shadow).connect(), shadow));
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await shadow.close();
      };
      return adapter;
    },
  };
}

/**
 * PostgreSQL through `pg`. The shadow database is the configured one, or a temporary database on
 * the main server (created here because PrismaPg's own helper keeps the connection string's
 * database name, which would make the main database the shadow).
 */
function postgresFactory(datasource: Datasource): SqlMigrationAwareDriverAdapterFactory {
  if (!datasource.url) throw new Error("The datasource has no url: set DATABASE_URL or SCHEMA_ENGINE_PGLITE=1.");
  const main = new PrismaPg({ connectionString: datasource.url });
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => withCharColumns(await main.connect()),
    connectToShadowDb: async () => {
      if (datasource.shadowDatabaseUrl) return withCharColumns(await new PrismaPg({ connectionString: datasource.shadowDatabaseUrl }).connect());
      const name = `prisma_migrate_shadow_db_${crypto.randomUUID()}`;
      const admin = new pg.Client({ connectionString: datasource.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(datasource.url!);
      url.pathname = `/${name}`;
      const adapter = withCharColumns(await new PrismaPg({ connectionString: url.toString() }).connect());
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      };
      return adapter;
    },
  };
}

/** Requests the CLI sends under the binary's names that the Wasm engine spells differently or lacks. */
function callEngine(engine: bindings.SchemaEngine, method: string, params: Record<string, unknown> | undefined): Promise<unknown> {
  switch (method) {
    case "getDatabaseVersion":
      return engine.version(params as never);
    case "createDatabase":
    case "getDatabaseDescription":
      return Promise.reject(Object.assign(new Error(`${method} is not available in the Wasm schema engine; create the database yourself.`), { code: "P1001" }));
    default: {
      const fn = (engine as unknown as Record<string, (p: unknown) => Promise<unknown>>)[method];
      if (typeof fn !== "function") return Promise.reject(new Error(`Unknown schema engine method "${method}"`));
      return fn.call(engine, params ?? {});
    }
  }
}

function rpcError(error: unknown) {
  const e = error as { message?: string; code?: string; meta?: unknown };
  const isPanic = error instanceof WebAssembly.RuntimeError;
  const message = isPanic ? panics.get() || String(error) : (e.message ?? String(error));
  return {
    code: 4466,
    message: "An error happened. Check the data field for details.",
    // The CLI reads a panic's text from data.error.message, anything else's from data.message.
    data: { is_panic: isPanic, message, error: { message }, meta: e.meta ?? null, error_code: typeof e.code === "string" ? e.code : null },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const engineModule = loadEngineWasm();
  if (args.version) {
    process.stdout.write(`${ENGINE_NAME} ${engineModule.version()}\n`);
    return;
  }
  if (args.cliCommand) process.exit(await runCliCommand(args.cliCommand, args.datasource));

  pgReadingCharFields();
  const factory = process.env.SCHEMA_ENGINE_PGLITE === "1" ? pgliteFactory() : postgresFactory(args.datasource);
  const datamodels = args.datamodels.map((file): [string, string] => [file, fs.readFileSync(file, "utf8")]);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const engine = await engineModule.SchemaEngine.new({ datamodels: datamodels.length ? datamodels : undefined }, log, bindMigrationAwareSqlAdapterFactory(factory));

  const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
  // The binary prints scripts by asking the CLI to ("print" requests, answered on stdin); the Wasm
  // engine returns them instead, so they are forwarded the binary's way before the result.
  let nextPrintId = 1_000_000_000;
  const pendingPrints = new Map<number, () => void>();
  const print = (content: string) =>
    new Promise<void>((resolve) => {
      const id = nextPrintId++;
      pendingPrints.set(id, resolve);
      send({ id, jsonrpc: "2.0", method: "print", params: { content: content.replace(/\n$/, "") } });
    });

  let queue = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const message = JSON.parse(line) as RpcRequest & { result?: unknown };
    if (!message.method) {
      pendingPrints.get(message.id)?.();
      pendingPrints.delete(message.id);
      continue;
    }
    // The binary answers one request at a time, in order; so does this.
    queue = queue.then(async () => {
      try {
        let result = await callEngine(engine, message.method, message.params);
        if (message.method === "diff" && result && typeof (result as { stdout?: unknown }).stdout === "string") {
          const diff = result as { stdout: string; exitCode: number };
          await print(diff.stdout);
          result = { ...diff, stdout: null };
        }
        send({ id: message.id, jsonrpc: "2.0", result: result ?? null });
      } catch (error) {
        send({ id: message.id, jsonrpc: "2.0", error: rpcError(error) });
      }
    });
  }
  await queue;
  process.exit(0);
}

/** Reports a fatal error the way the binary does (an ERROR log line) and exits: 101 marks a panic. */
function die(error: unknown): never {
  const isPanic = error instanceof WebAssembly.RuntimeError;
  const message = isPanic && panics.get() ? panics.get() : String((error as Error)?.stack ?? error);
  process.stderr.write(`${JSON.stringify({ level: "ERROR", target: "schema_engine::logger", fields: { message } })}\n`);
  process.exit(isPanic ? 101 : 1);
}

// A panic inside an engine callback surfaces here rather than as a rejected request.
process.on("uncaughtException", die);
process.on("unhandledRejection", die);
main().catch(die);
