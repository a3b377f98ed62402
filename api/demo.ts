/**
 * GET /demo — a plain HTML console (no framework, nothing fetched from elsewhere) to try the four
 * flows live with the public API: the companion chat (waiting message, progress, photo, cancel and
 * retry), an angle series filling in tile by tile, a persona dialog whose pictures reach the
 * Telegram simulator, and generic tasks with their SSE frames. The API key comes from `?key=` or is
 * asked for on the page (and kept in the browser only); `?telegram=` is the URL of the Telegram
 * simulator `./darkroom dev` started, whose received messages the dialog tab shows.
 *
 * The page talks to the API through the same typed client chat backends use (`client/`), served
 * at GET /demo/client.js as one browser module: bundled once per process from the client's source,
 * so the console can never drift from the package it demonstrates.
 */
import { Elysia } from "elysia";

const PAGE = new URL("./demo/console.html", import.meta.url);
const CLIENT_ENTRY = new URL("../client/src/index.ts", import.meta.url).pathname;

let clientBundle: Promise<string> | undefined;

/** The typed client as one ES module for browsers (built on first use, then kept in memory). */
function browserClient(): Promise<string> {
  clientBundle ??= Bun.build({ entrypoints: [CLIENT_ENTRY], target: "browser", format: "esm", minify: true }).then(async (out) => {
    if (!out.success || !out.outputs[0]) {
      clientBundle = undefined;
      throw new Error(`bundling the client failed: ${out.logs.map(String).join("; ")}`);
    }
    return out.outputs[0].text();
  });
  return clientBundle;
}

export function demoRoutes() {
  return new Elysia()
    .get(
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
    )
    .get(
      "/demo/client.js",
      async () => new Response(await browserClient(), { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" } }),
      {
        detail: {
          operationId: "getDemoClient",
          summary: "The typed TypeScript client, bundled as one browser ES module (what the demo console imports)",
          tags: ["Demo"],
          security: [],
          responses: { "200": { description: "An ES module exporting DarkroomClient", content: { "text/javascript": { schema: { type: "string" } } } } },
        },
      },
    );
}
