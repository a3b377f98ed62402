/**
 * OpenTelemetry traces as an operator's collector receives them: the API, the main worker and a GPU
 * worker run as separate processes exporting OTLP/HTTP (JSON) to a receiver here, and one companion
 * photo is one trace — the HTTP request, the workflow's start and run, its activities on both
 * workers, and the ComfyUI calls — continuing the caller's own trace (`traceparent`).
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseOtel } from "../lib/config";
import { freePort } from "../lib/temporal/devServer";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";
import { freshPostgresUrl } from "./support/postgres";
import { eventually } from "./support/stack";
import { killAllRoles, spawnRole } from "./support/roles";
import { testTemporal } from "./support/temporal";

setDefaultTimeout(240_000);


describe("OTEL settings", () => {
  test("unset endpoint: no tracing at all", () => {
    expect(parseOtel({})).toBeUndefined();
    expect(parseOtel({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toBeUndefined();
  });

  test("the standard variables: endpoint, protocol, headers, service name", () => {
    expect(parseOtel({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D,team=img" })).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
      headers: { "x-api-key": "abc=", team: "img" },
      serviceName: "darkroom",
    });
    expect(parseOtel({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://c/traces", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_SERVICE_NAME: "imgs" })).toMatchObject({
      tracesUrl: "https://c/traces",
      protocol: "http/json",
      serviceName: "imgs",
    });
    expect(() => parseOtel({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (darkroom exports over OTLP/HTTP), got "grpc"',
    );
    expect(() => parseOtel({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL");
  });
});

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  role: string;
  service: string;
}

describe("one trace per photo, across processes", () => {
  const spans: ReceivedSpan[] = [];
  let receiver: ReturnType<typeof Bun.serve>;
  let sim: ComfySimulator;
  let dataDir: string;
  let api: string;
  const key = `dk_${randomBytes(16).toString("hex")}`;
  const tag = Math.random().toString(36).slice(2, 8);
  const gpu = `o${tag}gpu0`;

  beforeAll(async () => {
    // An OTLP/HTTP receiver: POST /v1/traces with the JSON encoding.
    receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        if (request.method !== "POST" || new URL(request.url).pathname !== "/v1/traces") return new Response("no", { status: 404 });
        const body = (await request.json()) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, "role" | "service">> }> }> };
        for (const rs of body.resourceSpans) {
          const attr = (k: string) => rs.resource.attributes.find((a) => a.key === k)?.value.stringValue ?? "";
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, role: attr("darkroom.role"), service: attr("service.name") });
        }
        return Response.json({});
      },
    });
    const temporal = await testTemporal();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-traces-"));
    sim = await startComfySimulator({ instances: 1, stepMs: 5, steps: 3, outputDir: path.join(dataDir, "simulator") });
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      DARKROOM_DATA_DIR: dataDir,
      DARKROOM_API_KEYS: `acme:${key}`,
      DATABASE_URL: await freshPostgresUrl(),
      TEMPORAL_ADDRESS: temporal.address,
      DARKROOM_TASK_QUEUE: `darkroom-traces-${tag}`,
      COMFYUI_INSTANCES: `${gpu}=${sim.instances[0]!.url}`,
      IMAGE_MAX_EDGE: "256",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "darkroom-test",
      // Export every 200 ms rather than every 5 s.
      OTEL_BSP_SCHEDULE_DELAY: "200",
      LOG_LEVEL: "warn",
    };
    await Promise.all([spawnRole(["api"], env), spawnRole(["worker"], env), spawnRole(["worker", "--gpu", gpu], env)]);
  });

  afterAll(async () => {
    await killAllRoles();
    await sim?.stop();
    receiver?.stop(true);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("the request, the workflow, its activities and the ComfyUI calls share the caller's trace id", async () => {
    const traceId = randomBytes(16).toString("hex");
    const res = await fetch(`${api}/v1/agents/sofia/replies`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
      body: JSON.stringify({ userId: "t1", text: "Sure! [IMAGE: a selfie at the beach]", persona: { name: "Sofia", personality: "cheerful" } }),
    });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as { generations: Array<{ id: string }> }).generations[0]!.id;
    const done = await eventually(async () => {
      const g = (await (await fetch(`${api}/v1/generations/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string };
      return ["completed", "failed"].includes(g.status) ? g : undefined;
    }, "the photo");
    expect(done.status).toBe("completed");

    // The workflow's own span ends with the workflow; wait until it and a ComfyUI call have arrived.
    const trace = await eventually(async () => {
      const mine = spans.filter((s) => s.traceId === traceId);
      return mine.some((s) => s.name === "RunWorkflow:companionPhoto") && mine.some((s) => s.name.startsWith("ComfyUI ")) ? mine : undefined;
    }, "the photo's spans");
    const names = (role: string) => [...new Set(trace.filter((s) => s.role === role).map((s) => s.name))].sort();
    expect(names("api")).toContain("POST /v1/agents/:agentId/replies");
    expect(names("api")).toContain("StartWorkflow:companionPhoto");
    expect(names("worker")).toContain("RunWorkflow:companionPhoto");
    expect(names("worker").some((n) => n.startsWith("RunActivity:"))).toBe(true);
    expect(names("gpu-worker").some((n) => n.startsWith("RunActivity:"))).toBe(true);
    expect(names("gpu-worker")).toContain("ComfyUI POST /prompt");
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(["darkroom-test"]));

    // One tree: every span's parent is in the trace, except the HTTP request's (the caller's span).
    const ids = new Set(trace.map((s) => s.spanId));
    const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots.map((s) => s.name)).toEqual(["POST /v1/agents/:agentId/replies"]);
  });
});
