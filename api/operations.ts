/** Health for load balancers and the GPU pool view for operators. */
import { Elysia } from "elysia";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";

export function operationRoutes(ctx: ApiContext) {
  const { operations } = ctx.service;
  return new Elysia({ tags: ["Operations"] })
    .get("/healthz", () => ({ status: "ok" }), { detail: { summary: "The process is up" } })
    .get(
      "/readyz",
      async ({ set }) => {
        const { ready, checks } = await operations.readiness();
        if (!ready) set.status = 503;
        return { status: ready ? "ready" : "not_ready", checks };
      },
      { detail: { summary: "Ready to serve: the database and Temporal answer, and the namespace has darkroom's search attributes" } },
    )
    .use(
      new Elysia({ prefix: "/v1" })
        .use(authPlugin(ctx.resolveTenant))
        .get("/instances", async () => ({ instances: await operations.instances() }), { detail: { summary: "The ComfyUI pool: health, in flight, queued" } }),
    );
}
