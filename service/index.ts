/**
 * The generation service: everything the API, the WebSocket and the flows may do — start, cancel,
 * retry and read generations of every kind — with no HTTP in it. Below it are the workflows and
 * activities; above it only transports.
 */
import { createMetrics } from "./metrics";
import { angleSeriesService } from "./angleSeries";
import { companionPhotoService } from "./companionPhotos";
import { contentPolicy } from "./contentPolicy";
import type { ServiceDeps } from "./deps";
import { dialogService } from "./dialogs";
import { generationService } from "./generations";
import { operationsService, type ReadinessProbes } from "./operations";
import { regenerationService } from "./regenerations";
import { taskService } from "./tasks";

export type { ServiceDeps } from "./deps";
export { notFound, ServiceRefusal, type RefusalReason } from "./errors";
export { QuotaExceeded, type QuotaState } from "./quotas";

export function createGenerationService(given: Omit<ServiceDeps, "safety"> & ReadinessProbes) {
  const deps = { ...given, safety: contentPolicy(given) };
  const companionPhotos = companionPhotoService(deps);
  return {
    config: deps.config,
    signer: deps.signer,
    companionPhotos,
    regenerations: regenerationService(deps, companionPhotos),
    generations: generationService(deps),
    series: angleSeriesService(deps),
    dialogs: dialogService(deps),
    tasks: taskService(deps),
    operations: operationsService(deps),
    /** The Prometheus registry of this process (one per API process). */
    createMetrics: () => createMetrics({ prisma: deps.prisma, pool: deps.pool, settings: deps.config.metrics }),
  };
}

export type GenerationService = ReturnType<typeof createGenerationService>;
