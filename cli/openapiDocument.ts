/**
 * The OpenAPI document without a running service: the routes are built around a context whose
 * every method fails, and only the document route is asked. Clients are generated from this, so
 * the generated TypeScript types never need a database or Temporal.
 */
import { createApi } from "../api/app";
import { loadConfig } from "../lib/config";
import type { ApiContext } from "../api/context";

function unavailable(path: string): unknown {
  const fail = () => {
    throw new Error(`${path} is not available while only the document is built`);
  };
  return new Proxy(fail, {
    get: (_target, key) => (key === "then" ? undefined : unavailable(`${path}.${String(key)}`)),
  });
}

export async function openapiDocument(): Promise<Record<string, unknown>> {
  const metrics = { start() {}, stop() {}, contentType: "text/plain", render: () => "", observeWaitingMessage() {} };
  const service = new Proxy({} as ApiContext["service"], {
    get: (_t, key) =>
      key === "createMetrics" ? () => metrics : key === "config" ? loadConfig({}) : unavailable(`service.${String(key)}`),
  });
  const ctx: ApiContext = { service, resolveTenant: async () => undefined, liveEvents: unavailable("liveEvents") as ApiContext["liveEvents"] };
  const res = await createApi(ctx).handle(new Request("http://localhost/openapi/json"));
  return (await res.json()) as Record<string, unknown>;
}
