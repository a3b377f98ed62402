/**
 * The composition root: opens the database, the image store and the Temporal connections once, and
 * starts whichever process roles were asked for — the API, the main worker, GPU workers. `./darkroom
 * dev` starts them all in one process; production runs each role in its own.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Client } from "@temporalio/client";
import type { NativeConnection, Worker } from "@temporalio/worker";
import { createGeneralActivities } from "../activities";
import { createGenerationActivities, recordProgress } from "../activities/db/generations";
import { recordPreview } from "../activities/db/previews";
import { DEFAULT_PREVIEW_OPTIONS } from "../activities/comfyui/preview";
import { createGpuStopGate } from "../activities/comfyui/interrupt";
import { createDeliveryTimes } from "../activities/comfyui/deliveryTimes";
import { loadTemplate } from "../activities/comfyui/template";
import { loadAndCheckPersonas } from "../activities/personas";
import { backlogFromRecords, createInstancePool, finishFromRecords } from "../activities/instancePool";
import { llmAsker } from "../activities/imagePrompt";
import { createLlmActivities } from "../activities/llm";
import { openImageStore, type ImageStore } from "../lib/storage";
import type { createApi } from "../api/app";
import { configuredSecrets, installTemporalRuntime } from "./logging";
import { errorText, log, registerSecrets } from "../lib/log";
import { startTracing } from "../lib/tracing";
import { connectTemporalClient, connectTemporalWorker } from "../lib/temporal/connection";
import { createSeriesActivities } from "../activities/db/series";
import { createTaskRecords } from "../activities/db/tasks";
import { tenantPriority } from "../service/tenantScheduling";
import { createGenerationService } from "../service";
import { registerApiKeys, tenantResolver } from "../lib/apiKeys";
import type { Config } from "../lib/config";
import type { LogLevel } from "../lib/log";
import { openDatabase, type OpenedDatabase } from "../lib/db";
import { EventHub } from "../lib/live/eventHub";
import { createUrlSigner } from "../lib/signedUrls";
import { temporalAnswers } from "../lib/temporal/health";
import { searchAttributeNames } from "../domain/searchAttributes";
import { describeSearchAttributeCheck, searchAttributeChecker } from "../lib/temporal/searchAttributes";

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

/**
 * The URL-signing secret: configured, or made once and kept in the data folder. Processes sharing the
 * folder may start at the same moment: the file appears atomically (written aside, then hard-linked,
 * which fails if another process got there first), and everyone reads whichever one won.
 */
export function urlSecret(config: Config): string {
  if (config.urlSigningSecret) return config.urlSigningSecret;
  const file = path.join(config.dataDir, "url-secret");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(temp, randomBytes(32).toString("base64url"), { mode: 0o600 });
    try {
      fs.linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  return fs.readFileSync(file, "utf8").trim();
}

/** How long requests in flight may take to finish once a stop begins. */
const SHUTDOWN_GRACE_MS = 5_000;

export async function start(config: Config, roles: Roles, opts: { db?: OpenedDatabase; temporalAddress?: string } = {}): Promise<Running> {
  const address = opts.temporalAddress ?? config.temporal.address;
  if (!address) throw new Error("TEMPORAL_ADDRESS is not set (./darkroom dev starts an embedded Temporal server)");
  // Whoever embeds darkroom (tests, `dev`) gets the same guarantee as the roles: no configured secret in a log line.
  registerSecrets(configuredSecrets(config));
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
              now.available
                ? log().warn({ persona: p.id }, `persona ${p.id} is available again`)
                : log().warn({ persona: p.id, reason: now.unavailableReason }, `persona ${p.id} is unavailable: ${now.unavailableReason}`),
          })
        ).catalog
      : undefined;
  const db = opts.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const prisma = db.prisma;
  // Only the API resolves keys; workers started alongside it have no use for them.
  if (roles.api) await registerApiKeys(prisma, config.apiKeys);

  // Traces only when an OTLP endpoint is configured; otherwise no SDK and no interceptors at all.
  const tracing = await startTracing(config.otel, [roles.api && "api", roles.worker && "worker", roles.gpu?.length && "gpu-worker"].filter(Boolean).join("+"));
  let connection: Awaited<ReturnType<typeof connectTemporalClient>>;
  try {
    connection = await connectTemporalClient(address, config.temporal);
  } catch (error) {
    if (!opts.db) await db.close();
    throw error;
  }
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    // The start's span carries the trace into the workflow's headers; loaded only with tracing.
    ...(tracing ? { interceptors: { workflow: [new (await import("@temporalio/interceptors-opentelemetry")).OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  // The API starts workflows with darkroom's search attributes and the main worker's workflows update
  // them: both check the namespace (registering what is missing when allowed) and say what to run.
  const searchAttributes = searchAttributeChecker(connection.operatorService, {
    names: searchAttributeNames,
    namespace: config.temporal.namespace,
    address,
    register: config.temporal.registerSearchAttributes,
  });
  if (roles.api || roles.worker) {
    const check = await searchAttributes();
    if (!check.ok) log().warn({ namespace: config.temporal.namespace }, describeSearchAttributeCheck(check));
  }
  // GPU workers hand pictures back through Temporal and never touch the store.
  let store: ImageStore | undefined;
  if (roles.api || roles.worker) {
    try {
      store = await openImageStore(config.storage);
    } catch (error) {
      await connection.close();
      if (!opts.db) await db.close();
      throw error;
    }
  }
  const pool = createInstancePool(config.comfy.instances, { backlog: backlogFromRecords(prisma), recentFinish: finishFromRecords(prisma) });
  const signingSecret = urlSecret(config);
  registerSecrets([signingSecret]);
  const signer = createUrlSigner({ secret: signingSecret, publicUrl: config.publicUrl });
  const askLlm = config.llm ? llmAsker(config.llm) : undefined;
  const imageUrls = (imageId: string) => ({ url: signer.imageUrl(imageId), thumbnailUrl: signer.imageUrl(imageId, "thumb") });

  const workers: Worker[] = [];
  const workerRuns: Promise<void>[] = [];
  let nativeConnection: NativeConnection | undefined;
  if (roles.worker || roles.gpu?.length) {
    // The SDK's own lines (worker, workflows, activities, core) go through darkroom's logger.
    await installTemporalRuntime(config.logLevel ?? (log().level as LogLevel));
    try {
      nativeConnection = await connectTemporalWorker(address, config.temporal);
    } catch (error) {
      await connection.close();
      store?.close?.();
      if (!opts.db) await db.close();
      throw error;
    }
  }

  if (roles.worker) {
    const activities = createGeneralActivities({
      config,
      personas,
      prisma,
      store: store!,
      pool,
      temporal,
      imageUrls,
      askLlm,
    });
    // Each role loads only its own code: an API never loads the worker SDK, a GPU worker never the API.
    const { createMainWorker } = await import("../workers/main");
    workers.push(
      await createMainWorker({ connection: nativeConnection!, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, activities, maxCachedWorkflows: config.temporal.maxCachedWorkflows, tracing }),
    );
  }
  if (roles.gpu?.length) {
    const { createGpuWorker } = await import("../workers/gpu");
    const deliveryTimes = createDeliveryTimes(prisma, (err) => log().warn({ error: errorText(err) }, "could not read how long pictures took to deliver"));
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
          onFinished: (generationId) => deliveryTimes.finished(name, generationId),
          tracing,
          onProgress: (p) =>
            recordProgress(prisma, { generationId: p.generationId, percent: p.percent, step: p.step, of: p.of, queuePosition: p.queuePosition, etaSeconds: p.etaSeconds, promptId: p.promptId })
              .catch((err) => log().warn({ generationId: p.generationId, instance: name, error: errorText(err) }, "progress not recorded")),
          // The preview's URL is signed here, so GPU workers need the API's DARKROOM_URL_SECRET and DARKROOM_PUBLIC_URL.
          onPreview: config.comfy.previews.enabled
            ? (p) =>
                recordPreview(prisma, p, (generationId, version) => signer.previewUrl(generationId, version))
                  .then(() => undefined)
                  .catch((err) => log().warn({ generationId: p.generationId, instance: name, error: errorText(err) }, "preview not recorded"))
            : undefined,
          previewOptions: { ...DEFAULT_PREVIEW_OPTIONS, minIntervalMs: config.comfy.previews.intervalMs },
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
      tenantPriority: tenantPriority(prisma),
      signer,
      store: store!,
      pool,
      personas: personas!,
      composeMessage: llm.composeMessage,
      records: {
        beginGeneration: generations.beginGeneration,
        cancelGeneration: generations.cancelGeneration,
        recordRefusal: generations.recordRefusal,
        beginAngleSeries: createSeriesActivities({ prisma, askLlm, budgetMs: config.llmBudgetMs }).beginAngleSeries,
        beginTask: createTaskRecords({ prisma, imageUrls }).beginTask,
      },
      temporalReachable: () => temporalAnswers(connection),
      searchAttributes,
    });
    const { createApi } = await import("../api/app");
    const app = createApi({ service, resolveTenant: tenantResolver(prisma), liveEvents, tracing: Boolean(tracing) });
    // Bun's own cap (an empty 413) only for bodies far beyond ours, so a too-large body with a
    // declared length gets darkroom's 413 with its explanation.
    server = app.listen({ port: config.port, hostname: "0.0.0.0", maxRequestBodySize: Math.max(16 * 1024 * 1024, 4 * config.maxBodyBytes) });
  }

  return {
    config,
    db,
    temporal,
    apiUrl: server?.server ? `http://127.0.0.1:${server.server.port}` : undefined,
    workers,
    async stop() {
      // Live clients first, each told to reconnect and resume; then the server stops taking
      // requests and lets the ones in flight finish.
      liveEvents?.closeClients();
      if (server) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const graceful = server.stop(false).then(() => true);
        const inTime = await Promise.race([graceful, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS)))]);
        clearTimeout(timer);
        // Requests still running after the grace period are cut off.
        if (!inTime) await server.server?.stop(true);
      }
      liveEvents?.stop();
      personas?.stop();
      for (const w of workers) if (w.getState() === "RUNNING") w.shutdown();
      await Promise.allSettled(workerRuns);
      await nativeConnection?.close();
      await connection.close();
      // What the last requests and activities traced leaves the process before it ends.
      await tracing?.flush();
      store?.close?.();
      if (!opts.db) await db.close();
    },
  };
}
