/**
 * The OpenAPI document is something clients can be generated from: every operation has a stable
 * id, a documented success body (a named schema), the errors it can answer in the one error
 * shape, and its security; the committed document and TypeScript types are the ones the routes
 * give today, and the types have a real type for every success answer.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openapiDocument } from "../cli/openapiDocument";

const ROOT = path.resolve(import.meta.dir, "..");

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};

const EXPECTED_IDS = {
  "POST /v1/agents/{agentId}/replies": "createReply",
  "GET /v1/agents/{agentId}/pending-images": "listPendingImages",
  "GET /v1/generations/{id}": "getGeneration",
  "POST /v1/generations/{id}/cancel": "cancelGeneration",
  "POST /v1/generations/{id}/regenerate": "regenerateGeneration",
  "POST /v1/generations/{id}/retry": "retryGeneration",
  "GET /v1/generations/{id}/events": "streamGenerationEvents",
  "GET /v1/generations/{id}/deliveries": "listDeliveries",
  "GET /v1/images/{imageId}": "getImage",
  "GET /v1/generations/{id}/preview": "getGenerationPreview",
  "POST /v1/series": "createSeries",
  "GET /v1/series/{sessionId}": "getSeries",
  "POST /v1/dialogs/{dialogId}/messages": "postDialogMessage",
  "GET /v1/dialogs/{dialogId}": "getDialog",
  "DELETE /v1/dialogs/{dialogId}": "resetDialog",
  "GET /v1/personas": "listPersonas",
  "GET /v1/flows": "listFlows",
  "POST /v1/tasks": "createTask",
  "GET /v1/tasks/{taskId}": "getTask",
  "GET /v1/tasks/{taskId}/events": "streamTaskEvents",
  "GET /v1/instances": "listInstances",
  "GET /healthz": "getHealth",
  "GET /readyz": "getReadiness",
  "GET /metrics": "getMetrics",
  "GET /demo": "getDemoConsole",
  "GET /demo/client.js": "getDemoClient",
};
const PUBLIC = ["GET /healthz", "GET /readyz", "GET /metrics", "GET /demo", "GET /demo/client.js"];

describe("the OpenAPI document", () => {
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
  let operations: Array<[string, Operation]>;

  beforeAll(async () => {
    doc = (await openapiDocument()) as typeof doc;
    operations = Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([m, op]) => [`${m.toUpperCase()} ${p}`, op] as [string, Operation]));
  });

  test("every operation has its stable id and a tag, and nothing else is in the document", () => {
    expect(Object.fromEntries(operations.map(([k, op]) => [k, op.operationId]))).toEqual(EXPECTED_IDS);
    for (const [, op] of operations) expect(op.tags?.length).toBeGreaterThan(0);
  });

  test("every success answer has a body schema; JSON ones are named schemas", () => {
    for (const [key, op] of operations) {
      const success = Object.entries(op.responses ?? {}).filter(([s]) => s.startsWith("2"));
      expect({ key, successes: success.length }).toEqual({ key, successes: expect.any(Number) });
      expect(success.length).toBeGreaterThan(0);
      for (const [status, response] of success) {
        if (status === "204") continue;
        const content = response.content ?? {};
        expect({ key, types: Object.keys(content).length }).not.toEqual({ key, types: 0 });
        const json = content["application/json"];
        if (json) expect({ key, ref: json.schema?.$ref }).toEqual({ key, ref: expect.stringMatching(/^#\/components\/schemas\/\w+$/) });
      }
    }
  });

  test("errors use the one Error schema; /v1 routes answer 401, public ones need no key", () => {
    expect(doc.components.schemas.Error).toBeDefined();
    for (const [key, op] of operations) {
      const errors = Object.entries(op.responses ?? {}).filter(([s]) => /^[45]/.test(s));
      for (const [, response] of errors) {
        const schemas = Object.values(response.content ?? {}).map((c) => c.schema?.$ref);
        if (key === "GET /readyz") continue; // 503 carries the readiness checks
        expect({ key, schemas }).toEqual({ key, schemas: ["#/components/schemas/Error"] });
      }
      if (PUBLIC.includes(key)) expect({ key, security: op.security }).toEqual({ key, security: [] });
      else expect({ key, has401: "401" in (op.responses ?? {}) }).toEqual({ key, has401: true });
    }
  });

  test("the committed document and client types are current, and no success answer is `never`", () => {
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, "client/openapi.json"), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(doc)));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-types-"));
    const out = path.join(dir, "openapi.ts");
    const r = Bun.spawnSync([path.join(ROOT, "node_modules/.bin/openapi-typescript"), path.join(ROOT, "client/openapi.json"), "-o", out], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const generated = fs.readFileSync(out, "utf8");
    expect(generated).toBe(fs.readFileSync(path.join(ROOT, "client/src/openapi.ts"), "utf8"));
    // Each operation's 2xx answers (except the body-less 204) carry content, not `content?: never`.
    const ops = generated.slice(generated.indexOf("export interface operations"));
    let checked = 0;
    for (const id of Object.values(EXPECTED_IDS)) {
      const start = ops.indexOf(`\n    ${id}: {`);
      expect({ id, found: start >= 0 }).toEqual({ id, found: true });
      const end = ops.indexOf("\n    };", start);
      const block = ops.slice(start, end);
      for (const m of block.matchAll(/\n {12}(2\d\d): \{([\s\S]*?)\n {12}\};/g)) {
        if (m[1] === "204") continue;
        checked += 1;
        expect({ id, status: m[1], never: /content\?: never/.test(m[2]!) }).toEqual({ id, status: m[1]!, never: false });
      }
    }
    expect(checked).toBeGreaterThanOrEqual(Object.keys(EXPECTED_IDS).length - 1);
  });
});
