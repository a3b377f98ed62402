/** Health for load balancers and the GPU pool view for operators. */
import { Elysia } from "elysia";
import { comfyTaskQueue } from "../lib/taskQueues";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function operationRoutes(ctx: ApiContext) {
  return new Elysia({ tags: ["Operations"] })
    .get("/healthz", () => ({ status: "ok" }), { detail: { summary: "The process is up" } })
    .get(
      "/readyz",
      async ({ set }) => {
        const [database, temporal, searchAttributes] = await Promise.all([
          within(2000, ctx.prisma.$queryRaw`SELECT 1`).then(
            () => ({ ok: true }),
            (e: Error) => ({ ok: false, error: e.message }),
          ),
          within(2000, ctx.temporalReachable()).then(
            (ok) => ({ ok }),
            (e: Error) => ({ ok: false, error: e.message }),
          ),
          // Without its search attributes every workflow start fails: not ready, and say what to run.
          ctx.searchAttributes
            ? within(2000, ctx.searchAttributes()).then(
                ({ ok, namespace, missing, wrongType, error, commands }) =>
                  ok ? { ok } : { ok, namespace, missing, wrongType, ...(error ? { error } : {}), commands },
                (e: Error) => ({ ok: false, error: e.message }),
              )
            : { ok: true },
        ]);
        const ready = database.ok && temporal.ok && searchAttributes.ok;
        if (!ready) set.status = 503;
        return { status: ready ? "ready" : "not_ready", checks: { database, temporal, searchAttributes } };
      },
      { detail: { summary: "Ready to serve: the database and Temporal answer, and the namespace has darkroom's search attributes" } },
    )
    .use(
      new Elysia({ prefix: "/v1" }).use(authPlugin(ctx.resolveTenant)).get(
        "/instances",
        async () => {
          const health = await ctx.pool.snapshot();
          return {
            instances: ctx.pool.instances.map((instance, i) => ({
              name: instance.name,
              url: instance.url,
              taskQueue: comfyTaskQueue(instance.name),
              concurrency: instance.concurrency,
              healthy: health[i]?.healthy ?? false,
              inFlight: health[i]?.queueRunning ?? 0,
              queued: health[i]?.queuePending ?? 0,
              vramFreeBytes: health[i]?.vramFreeBytes,
              error: health[i]?.error,
            })),
          };
        },
        { detail: { summary: "The ComfyUI pool: health, in flight, queued" } },
      ),
    );
}
