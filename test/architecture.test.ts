/**
 * The layout is the architecture, and a newcomer can trust it only while its arrows point one way:
 * api/ (HTTP, WebSocket) → flows/ → service/ (the generation service) → workflows/ and activities/
 * → domain/ (the vocabulary) → lib/ (infrastructure). Read from the source, not from a tool.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { GENERATION_KINDS, GENERATION_STATUSES, SERIES_STATUSES, DELIVERY_STATUSES } from "../domain/generation";
import { $Enums } from "../lib/db/generated/client";
import { importCycles, importGraph, layerViolations, type ImportEdge } from "./support/importGraph";

const root = path.resolve(import.meta.dir, "..");
const edges = importGraph(root);

describe("layers", () => {
  test("the import graph covers every layer", () => {
    const layers = new Set(edges.map((e) => e.from.split("/")[0]));
    for (const layer of ["api", "flows", "service", "workflows", "activities", "workers", "domain", "lib", "cli"]) expect(layers).toContain(layer);
  });

  test("every import follows the layer order", () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  test("no file takes part in an import cycle", () => {
    expect(importCycles(edges)).toEqual([]);
  });

  test("the checks catch an upward import, a value import of an activity into a workflow, and a cycle", () => {
    const bad: ImportEdge[] = [
      { from: "lib/config.ts", to: "service/index.ts", typeOnly: false },
      { from: "workflows/a.ts", to: "activities/b.ts", typeOnly: false },
      { from: "workflows/a.ts", to: "activities/c.ts", typeOnly: true },
      { from: "domain/x.ts", to: "domain/y.ts", typeOnly: true },
      { from: "domain/y.ts", to: "domain/x.ts", typeOnly: false },
    ];
    expect(layerViolations(bad)).toEqual([
      "lib/config.ts imports service/index.ts: lib/ may not import service/",
      "workflows/a.ts imports activities/b.ts: workflows/ may not import activities/",
    ]);
    expect(importCycles(bad)).toEqual([["domain/x.ts", "domain/y.ts"]]);
  });

  test("HTTP handlers and flows leave the database to the generation service", () => {
    const offenders: string[] = [];
    for (const layer of ["api", "flows"]) {
      for (const file of fs.readdirSync(path.join(root, layer), { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".ts")) continue;
        const text = fs.readFileSync(path.join(root, layer, file), "utf8");
        if (/lib\/db|\bprisma\b/i.test(text)) offenders.push(`${layer}/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe("one vocabulary", () => {
  test("the domain's kinds and statuses are exactly the database's enums", () => {
    expect([...GENERATION_KINDS].sort()).toEqual(Object.values($Enums.GenerationKind).sort());
    expect([...GENERATION_STATUSES].sort()).toEqual(Object.values($Enums.GenerationStatus).sort());
    expect([...SERIES_STATUSES].sort()).toEqual(Object.values($Enums.SeriesStatus).sort());
    expect([...DELIVERY_STATUSES].sort()).toEqual(Object.values($Enums.DeliveryStatus).sort());
  });

  test("no status set is spelled out outside the domain", () => {
    const spelled: string[] = [];
    for (const layer of ["api", "flows", "service", "workflows", "activities", "workers", "lib"]) {
      for (const file of fs.readdirSync(path.join(root, layer), { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".ts") || file.includes("generated")) continue;
        const text = fs.readFileSync(path.join(root, layer, file), "utf8");
        if (/\[\s*"completed",\s*"failed",\s*"cancelled"\s*\]/.test(text)) spelled.push(`${layer}/${file}`);
      }
    }
    expect(spelled).toEqual([]);
  });
});
