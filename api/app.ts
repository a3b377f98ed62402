/** The HTTP API: route groups composed into one Elysia app, with OpenAPI at /openapi. */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { angleSeriesRoutes } from "./angleSeries";
import { companionPhotoRoutes } from "./companionPhotos";
import type { ApiContext } from "./context";
import { dialogRoutes } from "./dialogs";
import { errorHandling } from "./errors";
import { methodNotAllowed, refuseNul, limitBody } from "./guards";
import { generationRoutes } from "./generations";
import { imageRoutes } from "./images";
import { liveRoutes } from "./live";
import { metricsRoutes } from "./metrics";
import { operationRoutes } from "./operations";
import { previewRoutes } from "./previews";
import { models } from "./schemas";
import { log, scrubSecrets } from "../lib/log";
import { inServerSpan, nameServerSpan } from "../lib/tracing";

/**
 * The WebSocket, which OpenAPI cannot express as an operation: its messages, for people and for
 * client generators that read extensions.
 */
const WEBSOCKET = {
  path: "/v1/ws",
  description:
    "Authenticate with `?token=<api key>`, an `Authorization: Bearer` header, or a first message `{type:'auth', token}`. " +
    "Then subscribe to topics (`agent:<id>`, `user:<id>`, `dialog:<id>`, `generation:<id>`, `task:<id>`) and receive every event of them.",
  clientMessages: {
    auth: { token: "string" },
    subscribe: { topics: "string[]" },
    resume: { since: "eventId: events after it are replayed" },
    ping: { timestamp: "number" },
    "generation:cancel": { id: "string" },
    "generation:regenerate": { id: "string: a finished companion photo or chat image" },
  },
  serverMessages: {
    "image:queued | image:progress | image:preview | image:completed | image:failed | image:cancelled | message:new": { $ref: "#/components/schemas/GenerationEvent" },
    "generation:regenerate": {
      id: "string: the original",
      generation: { $ref: "#/components/schemas/Generation" },
      messages: { type: "array", items: { $ref: "#/components/schemas/Message" } },
    },
    "task:update": { task_id: "string", state: "PENDING | PROGRESS | SUCCESS | FAILURE", details: { $ref: "#/components/schemas/TaskState/properties/details" } },
  },
};

/**
 * The document without `additionalProperties: false`. Elysia writes that keyword into a route's
 * schemas when it first compiles the route, so without this the document would change with the
 * traffic a process has seen; and it would be wrong: unknown fields in a body are dropped, not
 * refused.
 */
function openObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openObjects);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k, v]) => !(k === "additionalProperties" && v === false)).map(([k, v]) => [k, openObjects(v)]));
}

export function createApi(ctx: ApiContext) {
  // TypeBox's own cleaning of bodies and answers: Elysia's default normaliser turns an array sent
  // where an object belongs into `{}`, so an invalid request would pass validation.
  const app: Elysia = new Elysia({ normalize: "typebox" });
  // One server span per request, around the whole handling, so the spans of what the request does
  // (a workflow start, the database) are its children. Only installed when traces are exported.
  if (ctx.tracing) app.wrap(((fn: (request: Request) => Promise<Response>) => (request: Request) => inServerSpan(request, () => fn(request))) as never);
  return app
    .onBeforeHandle({ as: "global" }, ({ request, route }) => {
      if (ctx.tracing && route) nameServerSpan(request.method, route);
    })
    .onAfterResponse({ as: "global" }, (c) => {
      // One line per request at info (debug for probes and scrapes, which come every few seconds).
      // It runs after the answer left, outside any error handling: it must never throw.
      try {
        const { request, set } = c;
        const route = c.route ?? "";
        const path = new URL(request.url).pathname;
        const probe = path === "/healthz" || path === "/readyz" || path === "/metrics";
        const status = typeof set.status === "number" ? set.status : Number(set.status) || 200;
        const params = (c as { params?: Record<string, string> }).params;
        const tenantId = (c as { tenantId?: string }).tenantId;
        const generationId = route.startsWith("/v1/generations/") || route.startsWith("/v1/tasks/") ? (params?.id ?? params?.taskId) : undefined;
        log()[probe ? "debug" : "info"](
          { method: request.method, ...(route ? { route } : {}), path: scrubSecrets(path), status, ...(tenantId ? { tenantId } : {}), ...(generationId ? { generationId } : {}) },
          "request",
        );
      } catch {}
    })
    .use(limitBody(ctx.service.config.maxBodyBytes))
    .use(methodNotAllowed(() => app.routes))
    .use(errorHandling)
    .use(refuseNul)
    .use(models)
    .onAfterHandle({ as: "global" }, ({ request, responseValue }) => {
      if (new URL(request.url).pathname === "/openapi/json") return openObjects(responseValue);
    })
    .use(
      openapi({
        path: "/openapi",
        // The document lists every route, the demo's /demo/client.js module included (the
        // plugin would otherwise drop any path with a dot in it as a static file).
        exclude: { staticFile: false },
        documentation: {
          info: {
            title: "darkroom",
            version: "0.1.0",
            description: "Slow AI images in live conversations: an in-character waiting message now, the picture when it is ready.",
          },
          tags: [
            { name: "Companion photos", description: "An agent's reply with [IMAGE: …] tags: the waiting message now, the photo later" },
            { name: "Generations", description: "Any generation, whatever its kind: status, cancel, retry, live events (SSE)" },
            { name: "Images", description: "The stored WebP images" },
            { name: "Angle series", description: "One car, several angles, the same car in each" },
            { name: "Dialogs", description: "Chat-triggered persona pictures delivered to Telegram or a webhook" },
            { name: "Tasks", description: "The flow registry and generic tasks with live progress (SSE)" },
            { name: "Operations", description: "Health, readiness, metrics and the GPU pool" },
            { name: "Demo", description: "The demo console" },
          ],
          components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
          security: [{ bearer: [] }],
          "x-websocket": WEBSOCKET,
        } as never,
      }),
    )
    .use(operationRoutes(ctx))
    .use(metricsRoutes(ctx))
    .use(companionPhotoRoutes(ctx))
    .use(generationRoutes(ctx))
    .use(previewRoutes(ctx))
    .use(imageRoutes(ctx))
    .use(liveRoutes(ctx))
    .use(dialogRoutes(ctx))
    .use(angleSeriesRoutes(ctx));
}

export type Api = ReturnType<typeof createApi>;
