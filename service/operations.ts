/** What operators and load balancers ask: is it ready, how is the GPU pool, and the stored images. */
import { comfyTaskQueue } from "../domain/taskQueues";
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

export function operationsService(deps: ServiceDeps & { temporalReachable(): Promise<boolean> }) {
  return {
    /** Ready to serve: the database and Temporal answer (each within 2 s). */
    async readiness() {
      const [database, temporal] = await Promise.all([
        within(2000, deps.prisma.$queryRaw`SELECT 1`).then(
          () => ({ ok: true }),
          (e: Error) => ({ ok: false, error: e.message }),
        ),
        within(2000, deps.temporalReachable()).then(
          (ok) => ({ ok }),
          (e: Error) => ({ ok: false, error: e.message }),
        ),
      ]);
      // Personas the pool cannot serve are named, but they do not make the service unready: every
      // other persona and flow works.
      const personas = { ok: true, unavailable: deps.personas ? unavailablePersonas(deps.personas) : [] };
      return { ready: database.ok && temporal.ok, checks: { database, temporal, personas } };
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
      return {
        etag: `"${image.sha256.slice(0, 32)}-${r.variant}"`,
        contentType: image.contentType,
        read: async () => {
          const bytes = await deps.store.get(r.variant === "thumb" ? image.thumbKey : image.storageKey);
          if (!bytes) throw new ServiceRefusal("gone", "gone", `The stored file for image "${image.id}" is missing`);
          return bytes;
        },
      };
    },
  };
}
