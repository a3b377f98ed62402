/**
 * darkroom's import graph, read from the source: which file imports which (relative imports only),
 * whether only for types, and the checks on it — the layer order and the absence of cycles.
 */
import fs from "node:fs";
import path from "node:path";

export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/**
 * The layers, top to bottom, and what each may import (itself included). Arrows point one way:
 * transports → the generation service → workflows and activities → the domain vocabulary → lib.
 * Workflows see activities only as types (the worker runs them; the workflow bundle must not).
 */
export const LAYERS: Record<string, { may: string[]; typesOnly?: string[] }> = {
  cli: { may: ["cli", "api", "service", "workers", "activities", "workflows", "domain", "lib", "simulators", "client"] },
  api: { may: ["api", "flows", "service", "domain", "lib"] },
  flows: { may: ["flows", "service", "domain", "lib"] },
  service: { may: ["service", "workflows", "activities", "domain", "lib"] },
  workers: { may: ["workers", "activities", "domain", "lib"] },
  workflows: { may: ["workflows", "domain", "lib"], typesOnly: ["activities"] },
  activities: { may: ["activities", "domain", "lib"] },
  domain: { may: ["domain", "lib"] },
  lib: { may: ["lib"] },
  simulators: { may: ["simulators", "lib"] },
  // The published client: it speaks HTTP to the API and imports nothing of the server.
  client: { may: ["client"] },
};

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/gm;

function resolve(fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts"), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === "generated" || d.name === "node_modules" ? [] : sourceFiles(full);
    return d.name.endsWith(".ts") ? [full] : [];
  });
}

/** Every relative import between the layers' files, as paths relative to `root`. */
export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const layer of Object.keys(LAYERS)) {
    for (const file of sourceFiles(path.join(root, layer))) {
      const text = fs.readFileSync(file, "utf8");
      for (const m of text.matchAll(IMPORT)) {
        const target = resolve(file, m[3]!);
        if (!target) continue;
        edges.push({ from: path.relative(root, file), to: path.relative(root, target), typeOnly: !!m[2] });
      }
    }
  }
  return edges;
}

const layerOf = (file: string) => file.split(/[\\/]/)[0]!;

/** Imports against the layer order, each as a sentence naming both files. */
export function layerViolations(edges: ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = LAYERS[layerOf(e.from)];
    const to = layerOf(e.to);
    if (!from) continue;
    if (from.may.includes(to)) continue;
    if (e.typeOnly && from.typesOnly?.includes(to)) continue;
    out.push(`${e.from} imports ${e.typeOnly ? "types from " : ""}${e.to}: ${layerOf(e.from)}/ may not import ${to}/`);
  }
  return out;
}

/** Import cycles (strongly connected groups of files), each as the files in it. */
export function importCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Tarjan's algorithm.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(group.sort());
    }
  };
  for (const v of new Set(edges.flatMap((e) => [e.from, e.to]))) if (!indices.has(v)) visit(v);
  return cycles;
}
