/**
 * GET /demo — a plain HTML chat page to see the whole thing live: ask the persona for a photo, get
 * the waiting message at once, watch the progress bar over the WebSocket, then the picture.
 * The API key comes from `?key=` or is asked for on the page (and kept in the browser only).
 */
import { Elysia } from "elysia";

const PAGE = new URL("./demo/chat.html", import.meta.url);

export function demoRoutes() {
  return new Elysia().get(
    "/demo",
    () => new Response(Bun.file(PAGE), { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } }),
    { detail: { summary: "Demo chat page (HTML)", tags: ["Demo"] } },
  );
}
