/**
 * GET /demo — a plain HTML console (no framework, nothing fetched from elsewhere) to try the four
 * flows live with the public API: the companion chat (waiting message, progress, photo, cancel and
 * retry), an angle series filling in tile by tile, a persona dialog whose pictures reach the
 * Telegram simulator, and generic tasks with their SSE frames. The API key comes from `?key=` or is
 * asked for on the page (and kept in the browser only); `?telegram=` is the URL of the Telegram
 * simulator `./darkroom dev` started, whose received messages the dialog tab shows.
 */
import { Elysia } from "elysia";

const PAGE = new URL("./demo/console.html", import.meta.url);

export function demoRoutes() {
  return new Elysia().get(
    "/demo",
    () => new Response(Bun.file(PAGE), { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } }),
    {
      detail: {
        operationId: "getDemoConsole",
        summary: "Demo console (HTML): companion chat, angle series, persona dialog, tasks",
        tags: ["Demo"],
        security: [],
        responses: { "200": { description: "The console page", content: { "text/html": { schema: { type: "string" } } } } },
      },
    },
  );
}
