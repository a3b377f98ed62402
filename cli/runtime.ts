/**
 * The composition root: opens the database, the image store and the Temporal connections once, and
 * starts whichever process roles were asked for — the API, the main worker, GPU workers. `./darkroom
 * dev` starts them all in one process; production runs each role in its own.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from "@temporalio/worker";
import { createGeneralActivities } from "../activities";
import { createGenerationActivities, recordProgress } from "../activities/db/generations";
import { createGpuStopGate } from "../activities/comfyui/interrupt";
import { loadTemplate } from "../activities/comfyui/template";
import { loadAndCheckPersonas } from "../activities/personas";
import { createInstancePool } from "../activities/instancePool";
import { llmAsker } from "../activities/imagePrompt";
import { createLlmActivities } from "../activities/llm";
import { LocalFolderStore } from "../lib/storage";
import { createApi } from "../api/app";
import { createSeriesActivities } from "../activities/db/series";
import { createTaskRecords } from "../activities/db/tasks";
import { createGenerationService } from "../service";
import { createGpuWorker } from "../workers/gpu";
import { createMainWorker } from "../workers/main";
import { registerApiKey, tenantResolver } from "../lib/apiKeys";
import type { Config } from "../lib/config";
import { openDatabase, type OpenedDatabase } from "../lib/db";
import { EventHub } from "../lib/live/eventHub";
import { createUrlSigner } from "../lib/signedUrls";
import { temporalAnswers } from "../lib/temporal/health";

export interface Roles {
  api?: boolean;
  worker?: boolean;
  /** Names of the ComfyUI instances to run GPU workers for. */
  gpu?: string[];
}

export interface Running {
  config: Config;
  db: OpenedDatabase;
  temporal: Client;
  apiUrl?: string;
  workers: Worker[];
  stop(): Promise<void>;
}

/** The URL-signing secret: configured, or made once and kept in the data folder. */
export function urlSecret(config: Config): string {
  if (config.urlSigningSecret) return config.urlSigningSecret;
  const file = path.join(config.dataDir, "url-secret");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  fs.mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; keep the console for what matters (LOG_LEVEL). */
function installTemporalRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.LOG_LEVEL?.toUpperCase() ?? "WARN") as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
    });
  } catch {
    // Already installed by the embedding process (e.g. tests): keep theirs.
  }
}

export async function start(config: Config, roles: Roles, opts: { db?: OpenedDatabase; temporalAddress?: string } = {}): Promise<Running> {
  const address = opts.temporalAddress ?? config.temporal.address;
  if (!address) throw new Error("TEMPORAL_ADDRESS is not set (./darkroom dev starts an embedded Temporal server)");
  // A broken template should stop the process at start, naming the file and node, not fail every photo.
  if (roles.api || roles.worker || roles.gpu?.length) await loadTemplate(config.comfy.defaultTemplate);
  // Likewise every persona file and template. A persona whose checkpoint, LoRA or node no instance
  // offers does not stop the start: it is listed unavailable until an instance offers it.
  const personas =
    roles.api || roles.worker
      ? (
          await loadAndCheckPersonas(config.chatImages.personasDir, config.comfy.instances.map((i) => i.url), {
            // The API refuses and lists by availability; a worker only needs the files.
            recheckMs: roles.api ? 30_000 : 0,
            onChange: (p, now) =>
              console.warn(now.available ? `persona ${p.id} is available again` : `persona ${p.id} is unavailable: ${now.unavailableReason}`),
          })
        ).catalog
      : undefined;
  const db = opts.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const prisma = db.prisma;
  for (const { tenant, key } of config.apiKeys) await registerApiKey(prisma, tenant, key);

  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const store = new LocalFolderStore(path.join(config.dataDir, "images"));
  const pool = createInstancePool(config.comfy.instances);
  const signer = createUrlSigner({ secret: urlSecret(config), publicUrl: config.publicUrl });
  const askLlm = config.llm ? llmAsker(config.llm) : undefined;
  const imageUrls = (imageId: string) => ({ url: signer.imageUrl(imageId), thumbnailUrl: signer.imageUrl(imageId, "thumb") });

  const workers: Worker[] = [];
  const workerRuns: Promise<void>[] = [];
  let nativeConnection: NativeConnection | undefined;
  if (roles.worker || roles.gpu?.length) {
    installTemporalRuntime();
    nativeConnection = await NativeConnection.connect({ address });
  }

  if (roles.worker) {
    const activities = createGeneralActivities({
      config,
      personas,
      prisma,
      store,
      pool,
      temporal,
      imageUrls,
      askLlm,
    });
    workers.push(
      await createMainWorker({ connection: nativeConnection!, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, activities }),
    );
  }
  if (roles.gpu?.length) {
    for (const name of roles.gpu) {
      const instance = config.comfy.instances.find((i) => i.name === name);
      if (!instance) {
        throw new Error(`No ComfyUI instance named "${name}" in COMFYUI_INSTANCES (known: ${config.comfy.instances.map((i) => i.name).join(", ") || "none"})`);
      }
      workers.push(
        await createGpuWorker({
          connection: nativeConnection!,
          namespace: config.temporal.namespace,
          instance,
          stopGate: createGpuStopGate(prisma),
          onProgress: (p) =>
            recordProgress(prisma, { generationId: p.generationId, percent: p.percent, step: p.step, of: p.of, queuePosition: p.queuePosition, promptId: p.promptId })
              .catch((err) => console.warn(`progress for ${p.generationId} not recorded: ${(err as Error).message}`)),
        }),
      );
    }
  }
  for (const w of workers) workerRuns.push(w.run());

  let server: ReturnType<ReturnType<typeof createApi>["listen"]> | undefined;
  let liveEvents: EventHub | undefined;
  if (roles.api) {
    liveEvents = new EventHub({ prisma, signals: db.eventSignals, pollMs: config.liveEvents.safetyPollMs });
    await liveEvents.start();
    const llm = createLlmActivities({ llm: config.llm, budgetMs: config.llmBudgetMs });
    const generations = createGenerationActivities({ prisma, composeMessage: llm.composeMessage, imageUrls, temporal });
    const service = createGenerationService({
      config,
      prisma,
      temporal,
      signer,
      store,
      pool,
      personas: personas!,
      composeMessage: llm.composeMessage,
      records: {
        beginGeneration: generations.beginGeneration,
        cancelGeneration: generations.cancelGeneration,
        beginAngleSeries: createSeriesActivities({ prisma, askLlm, budgetMs: config.llmBudgetMs }).beginAngleSeries,
        beginTask: createTaskRecords({ prisma, imageUrls }).beginTask,
      },
      temporalReachable: () => temporalAnswers(connection),
    });
    const app = createApi({ service, resolveTenant: tenantResolver(prisma), liveEvents });
    server = app.listen({ port: config.port, hostname: "0.0.0.0" });
  }

  return {
    config,
    db,
    temporal,
    apiUrl: server?.server ? `http://127.0.0.1:${server.server.port}` : undefined,
    workers,
    async stop() {
      await server?.stop(true);
      liveEvents?.stop();
      personas?.stop();
      for (const w of workers) if (w.getState() === "RUNNING") w.shutdown();
      await Promise.allSettled(workerRuns);
      await nativeConnection?.close();
      await connection.close();
      if (!opts.db) await db.close();
    },
  };
}
