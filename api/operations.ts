/** Health for load balancers and the GPU pool view for operators. */
import { Elysia } from "elysia";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { errors, models, PUBLIC } from "./schemas";

export function operationRoutes(ctx: ApiContext) {
  const { operations } = ctx.service;
  return new Elysia({ tags: ["Operations"] })
    .use(models)
    .get("/healthz", () => ({ status: "ok" as const }), {
      response: { 200: "Health" },
      detail: { operationId: "getHealth", summary: "The process is up", ...PUBLIC },
    })
    .get(
      "/readyz",
      async ({ set }) => {
        const { ready, checks } = await operations.readiness();
        if (!ready) set.status = 503;
        return { status: ready ? ("ready" as const) : ("not_ready" as const), checks };
      },
      {
        response: { 200: "Readiness", 503: "Readiness" },
        detail: { operationId: "getReadiness", summary: "Ready to serve: the database and Temporal answer and the namespace has darkroom's search attributes (503 with the failing check and what to run otherwise); unavailable personas are listed without failing it", ...PUBLIC },
      },
    )
    .use(
      new Elysia({ prefix: "/v1" })
        .use(models)
        .use(authPlugin(ctx.resolveTenant))
        .get("/instances", async () => ({ instances: await operations.instances() }), {
          response: { 200: "Instances", ...errors(401) },
          detail: { operationId: "listInstances", summary: "The ComfyUI pool: health, in flight, queued" },
        }),
    );
}
