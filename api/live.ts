/** Live progress everywhere: the flow registry and task API (SSE), the WebSocket, the demo page. */
import { Elysia } from "elysia";
import type { ApiContext } from "./context";
import { demoRoutes } from "./demo";
import { taskRoutes } from "./tasks";
import { realtimeRoutes } from "./ws";

export function liveRoutes(ctx: ApiContext) {
  return new Elysia().use(taskRoutes(ctx)).use(realtimeRoutes(ctx)).use(demoRoutes());
}
