/**
 * The README's route and configuration tables are what integrators read first, so they must match
 * the code: every route a table lists exists in the live OpenAPI document (with the same method
 * and parameter names) and every documented route is listed; every setting listed is read by the
 * code and every setting the code reads is listed.
 *
 * Route tables are the Markdown tables whose first header is `route`; their first column holds
 * `METHOD /path` code spans (`[/events]` marks an optional tail, `?query` is ignored, no method
 * means GET). Configuration tables are those whose first header is `variable`; their first column
 * holds the variable names.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { startStack, type Stack } from "./support/stack";

setDefaultTimeout(180_000);

const ROOT = path.resolve(import.meta.dir, "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** Variables the code reads that are not service settings: the CI report path of `./darkroom test`. */
const NOT_SETTINGS = new Set(["DARKROOM_JUNIT"]);

/** Rows (cells, trimmed) of every Markdown table whose first header cell is `header`. */
function tables(markdown: string, header: string): string[][] {
  const rows: string[][] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const head = cells(lines[i]!);
    if (head?.[0] !== header || !/^\|\s*-/.test(lines[i + 1] ?? "")) continue;
    for (i += 2; i < lines.length && lines[i]!.startsWith("|"); i++) rows.push(cells(lines[i]!)!);
  }
  return rows;
}

function cells(line: string): string[] | undefined {
  if (!line.startsWith("|")) return undefined;
  // A `\|` inside a cell is text, not a column border.
  return line
    .slice(1, line.trimEnd().endsWith("|") ? line.trimEnd().length - 1 : undefined)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** `GET /v1/tasks/:taskId[/events]` → ["GET /v1/tasks/:taskId", "GET /v1/tasks/:taskId/events"]. */
function readmeRoutes(): Map<string, string> {
  const out = new Map<string, string>(); // route -> the table cell it came from
  for (const [first] of tables(README, "route")) {
    for (const span of codeSpans(first!)) {
      const m = /^(?:(GET|POST|PUT|PATCH|DELETE)\s+)?(\/\S*)$/.exec(span.trim());
      if (!m) throw new Error(`README route table: cannot read \`${span}\` (want \`METHOD /path\`)`);
      const method = m[1] ?? "GET";
      let p = m[2]!.replace(/\[\?[^\]]*\]/g, "").replace(/\?.*$/, "");
      const variants = [p];
      const optional = /\[(\/[^\]]+)\]$/.exec(p);
      if (optional) {
        p = p.slice(0, optional.index);
        variants.splice(0, 1, p, p + optional[1]);
      }
      for (const v of variants) out.set(`${method} ${v}`, first!);
    }
  }
  return out;
}

function readmeSettings(): Set<string> {
  const out = new Set<string>();
  for (const [first] of tables(README, "variable")) for (const span of codeSpans(first!)) out.add(span.trim());
  return out;
}

/** The environment variables the service reads: its configuration, and what the CLI reads itself. */
function settingsInCode(): Set<string> {
  const found = new Set<string>();
  const config = fs.readFileSync(path.join(ROOT, "lib/config.ts"), "utf8");
  for (const m of config.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\benv, "([A-Z][A-Z0-9_]+)"/g)) found.add((m[1] ?? m[2])!);
  for (const file of fs.readdirSync(path.join(ROOT, "cli")).filter((f) => f.endsWith(".ts"))) {
    const text = fs.readFileSync(path.join(ROOT, "cli", file), "utf8");
    for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)|intEnv\("([A-Z][A-Z0-9_]+)"/g)) found.add((m[1] ?? m[2])!);
  }
  for (const name of NOT_SETTINGS) found.delete(name);
  return found;
}

describe("README", () => {
  let stack: Stack;
  let openapi: { paths: Record<string, Record<string, unknown>> };

  beforeAll(async () => {
    stack = await startStack({ instances: 1 });
    const res = await fetch(`${stack.api}/openapi/json`);
    expect(res.status).toBe(200);
    openapi = await res.json();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const documented = () => {
    const out = new Set<string>();
    for (const [p, ops] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(ops)) {
        // The WebSocket route is listed under the pseudo-method `ws`; a client opens it with a GET upgrade.
        const verb = method === "ws" ? "GET" : method.toUpperCase();
        if (!["GET", "POST", "PUT", "PATCH", "DELETE"].includes(verb)) continue;
        // A group's root is documented as `/v1/series/`; it is called (and listed) as `/v1/series`.
        const route = `${verb} ${p.replace(/\{([^}]+)\}/g, ":$1").replace(/(.)\/$/, "$1")}`;
        out.add(route);
      }
    }
    // OpenAPI has no WebSocket operations: the document describes the socket under `x-websocket`.
    const socket = (openapi as { "x-websocket"?: { path?: string } })["x-websocket"]?.path;
    if (socket) out.add(`GET ${socket}`);
    return out;
  };

  test("the tables were found (so an empty comparison cannot pass)", () => {
    expect(readmeRoutes().size).toBeGreaterThan(15);
    expect(readmeSettings().size).toBeGreaterThan(30);
  });

  test("every route in a README route table exists in the OpenAPI document", () => {
    const inApi = documented();
    const missing = [...readmeRoutes().keys()].filter((r) => !inApi.has(r));
    expect(missing).toEqual([]);
  });

  test("every route in the OpenAPI document is listed in a README route table", () => {
    const listed = readmeRoutes();
    const unlisted = [...documented()].filter((r) => !listed.has(r)).sort();
    expect(unlisted).toEqual([]);
  });

  test("every setting in a README configuration table is read by the code", () => {
    const read = settingsInCode();
    expect([...readmeSettings()].filter((s) => !read.has(s)).sort()).toEqual([]);
  });

  test("every setting the code reads is in a README configuration table", () => {
    const listed = readmeSettings();
    expect([...settingsInCode()].filter((s) => !listed.has(s)).sort()).toEqual([]);
  });
});
