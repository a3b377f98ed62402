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

/**
 * A request body larger than any request darkroom takes is refused from its Content-Length, before
 * a byte of it is read or parsed: 413 in the one error shape. (A body sent without a length is cut
 * off by the server's own limit, set to the same size.)
 */
export function limitBody(maxBytes: number) {
  return new Elysia({ name: "darkroom/limit-body" }).onRequest(({ request }) => {
    const length = Number(request.headers.get("content-length") ?? 0);
    if (length > maxBytes) {
      return Response.json(
        { error: { code: "payload_too_large", message: `The request body is ${length} bytes; at most ${maxBytes} are accepted (API_MAX_BODY_BYTES)` } },
        { status: 413 },
      );
    }
  });
}

/** Where U+0000 occurs in a parsed body or query (`persona.name`, `angles.2`), if anywhere. */
function nulAt(value: unknown, where: string): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? where : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [k, v] of Object.entries(value)) {
    const field = where ? `${where}.${k}` : k;
    if (k.includes("\u0000")) return field;
    const found = nulAt(v, field);
    if (found) return found;
  }
  return undefined;
}

export const refuseNul = new Elysia({ name: "darkroom/refuse-nul" }).onTransform({ as: "global" }, ({ body, query }) => {
  const field = nulAt(body, "") ?? nulAt(query, "");
  if (field !== undefined) {
    const name = field || "body";
    throw new HttpError(400, "invalid_request", `${name} may not contain the NUL character (U+0000)`, [{ field: name, problem: "contains U+0000" }]);
  }
});
