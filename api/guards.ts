/**
 * Two answers every route shares: a path that exists asked with another method is 405 with `Allow`
 * (not 404, which would say the resource is missing), and text containing U+0000 is refused with
 * 400 before it reaches PostgreSQL, which cannot store that character in text or JSON.
 */
import { Elysia } from "elysia";
import { HttpError } from "./errors";

interface RouteLike {
  method: string;
  path: string;
}

function compile(routes: RouteLike[]) {
  const byPattern = new Map<string, { re: RegExp; methods: Set<string> }>();
  for (const r of routes) {
    if (r.method === "WS" || r.method === "ALL") continue;
    const path = r.path.replace(/\/+$/, "") || "/";
    let entry = byPattern.get(path);
    if (!entry) {
      const re = new RegExp(`^${path.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/")}/?$`);
      entry = { re, methods: new Set() };
      byPattern.set(path, entry);
    }
    entry.methods.add(r.method === "GET" ? "GET, HEAD" : r.method);
  }
  return [...byPattern.values()];
}

export function methodNotAllowed(routes: () => RouteLike[]) {
  let table: ReturnType<typeof compile> | undefined;
  let size = -1;
  return new Elysia({ name: "darkroom/method-not-allowed" }).onError({ as: "global" }, ({ code, request, set }) => {
    if (code !== "NOT_FOUND") return;
    const all = routes();
    if (!table || size !== all.length) {
      table = compile(all);
      size = all.length;
    }
    const path = new URL(request.url).pathname;
    const allowed = table.filter((e) => e.re.test(path)).flatMap((e) => [...e.methods]);
    if (allowed.length === 0) return;
    set.status = 405;
    set.headers.allow = [...new Set(allowed)].join(", ");
    return { error: { code: "method_not_allowed", message: `${request.method} is not supported here; use ${set.headers.allow}` } };
  });
}

const hasNul = (value: unknown): boolean =>
  typeof value === "string" ? value.includes("\u0000") : Array.isArray(value) ? value.some(hasNul) : value !== null && typeof value === "object" ? Object.entries(value).some(([k, v]) => k.includes("\u0000") || hasNul(v)) : false;

export const refuseNul = new Elysia({ name: "darkroom/refuse-nul" }).onTransform({ as: "global" }, ({ body, query }) => {
  if (hasNul(body) || hasNul(query)) {
    throw new HttpError(400, "invalid_request", "Text may not contain the NUL character (U+0000)", [{ field: "request", problem: "contains U+0000" }]);
  }
});
