/** What operators and load balancers ask: is it ready, how is the GPU pool, and the stored images. */
import { comfyTaskQueue } from "../domain/taskQueues";
import type { SearchAttributeCheck } from "../lib/temporal/searchAttributes";
import type { ServiceDeps } from "./deps";
import { notFound, ServiceRefusal } from "./errors";
import { unavailablePersonas } from "./personaAvailability";

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadinessProbes {
  temporalReachable(): Promise<boolean>;
  /** darkroom's search attributes in the namespace (re-checked until they are there). */
  searchAttributes?(): Promise<SearchAttributeCheck>;
}

export function operationsService(deps: ServiceDeps & ReadinessProbes) {
  return {
    /**
     * Ready to serve: the database and Temporal answer (each within 2 s), and the namespace has
     * darkroom's search attributes — without them every workflow start fails, so not ready, and
     * the answer says what to run.
     */
    async readiness() {
      const [database, temporal, searchAttributes] = await Promise.all([
        within(2000, deps.prisma.$queryRaw`SELECT 1`).then(
          () => ({ ok: true }),
          (e: Error) => ({ ok: false, error: e.message }),
        ),
        within(2000, deps.temporalReachable()).then(
          (ok) => ({ ok }),
          (e: Error) => ({ ok: false, error: e.message }),
        ),
        deps.searchAttributes
          ? within(2000, deps.searchAttributes()).then(
              ({ ok, namespace, missing, wrongType, error, commands }) =>
                ok ? { ok } : { ok, namespace, missing, wrongType, ...(error ? { error } : {}), commands },
              (e: Error) => ({ ok: false, error: e.message }),
            )
          : { ok: true },
      ]);
      // Personas the pool cannot serve are named, but they do not make the service unready: every
      // other persona and flow works.
      const personas = { ok: true, unavailable: deps.personas ? unavailablePersonas(deps.personas) : [] };
      return { ready: database.ok && temporal.ok && searchAttributes.ok, checks: { database, temporal, searchAttributes, personas } };
    },

    /** The ComfyUI pool: health, in flight, queued. */
    async instances() {
      const health = await deps.pool.snapshot();
      return deps.pool.instances.map((instance, i) => ({
        name: instance.name,
        url: instance.url,
        taskQueue: comfyTaskQueue(instance.name),
        concurrency: instance.concurrency,
        healthy: health[i]?.healthy ?? false,
        inFlight: health[i]?.queueRunning ?? 0,
        queued: health[i]?.queuePending ?? 0,
        vramFreeBytes: health[i]?.vramFreeBytes,
        error: health[i]?.error,
      }));
    },

    /** A stored image (any tenant's when the URL was signed, else the caller's own). */
    async image(r: { imageId: string; tenantId?: string; variant: "full" | "thumb" }) {
      const image = await deps.prisma.image.findFirst({ where: { id: r.imageId, ...(r.tenantId ? { tenantId: r.tenantId } : {}) } });
      if (!image) throw notFound("Image", r.imageId);
      const key = r.variant === "thumb" ? image.thumbKey : image.storageKey;
      return {
        etag: `"${image.sha256.slice(0, 32)}-${r.variant}"`,
        contentType: image.contentType,
        /** A short-lived URL straight into the bucket, when storage is configured to hand those out. */
        presignedUrl: async () => (deps.store.presignedUrl ? deps.store.presignedUrl(key) : undefined),
        read: async () => {
          const bytes = await deps.store.get(key);
          if (!bytes) throw new ServiceRefusal("gone", "gone", `The stored file for image "${image.id}" is missing`);
          return bytes;
        },
      };
    },
  };
}
