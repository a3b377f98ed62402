/**
 * Several machines, proven on one: two API processes and two main workers, each with its own data
 * folder, sharing nothing but PostgreSQL, Temporal and an S3 bucket (SeaweedFS), plus a GPU worker
 * per instance. Every image is served by both APIs, every live event reaches the clients of both
 * (the event log's LISTEN/NOTIFY crosses processes), and a photo started on one API is cancelled
 * through the other.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { freePort } from "../lib/temporal/devServer";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";
import { freshPostgresUrl } from "./support/postgres";
import { killAllRoles, spawnRole, type RoleProcess } from "./support/roles";
import { testSeaweedFs, type SeaweedFs } from "./support/seaweedfs";
import { eventually } from "./support/stack";
import { testTemporal } from "./support/temporal";

setDefaultTimeout(300_000);

const KEY = `key-acme-multi-${Math.random().toString(36).slice(2)}-0123456789`;
const persona = { name: "Sofia", personality: "cheerful", language: "en" };
const roots: string[] = [];
let sim: ComfySimulator;
let s3: SeaweedFs;
let bucket: string;
let apis: RoleProcess[];

type Msg = { type: string; eventId?: number; generationId?: string; [k: string]: unknown };

/** A live client on one API: a WebSocket subscribed to a user's topic. */
class LiveClient {
  readonly messages: Msg[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (m) => this.messages.push(JSON.parse(String(m.data)));
  }

  static async open(api: string, topics: string[]): Promise<LiveClient> {
    const ws = new WebSocket(`${api.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(KEY)}`);
    const client = new LiveClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`websocket to ${api} did not open`));
    });
    await client.until((m) => m.type === "auth:ok", "auth:ok");
    ws.send(JSON.stringify({ type: "subscribe", topics }));
    await client.until((m) => m.type === "subscribed", "subscribed");
    return client;
  }

  until(pred: (m: Msg) => boolean, what: string): Promise<Msg> {
    return eventually(async () => this.messages.find(pred), what, 120_000);
  }

  close() {
    this.ws.close();
  }
}

async function request(api: RoleProcess, method: string, route: string, body?: unknown) {
  const res = await fetch(api.url + route, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function requestPhoto(api: RoleProcess, user: string): Promise<string> {
  const res = await request(api, "POST", "/v1/agents/sofia/replies", { userId: user, text: "Sure! [IMAGE: selfie at the beach]", persona });
  expect(res.status).toBe(200);
  return res.body.generations[0].id as string;
}

async function finishedOn(api: RoleProcess, id: string) {
  return eventually(
    async () => {
      const g = (await request(api, "GET", `/v1/generations/${id}`)).body;
      return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
    },
    `generation ${id} to finish (seen from ${api.url})`,
    120_000,
  );
}

beforeAll(async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const simDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-multi-sim-"));
  roots.push(simDir);
  const [temporal, seaweed, databaseUrl] = await Promise.all([testTemporal(), testSeaweedFs(), freshPostgresUrl()]);
  s3 = seaweed;
  sim = await startComfySimulator({ instances: 2, stepMs: 5, steps: 6, outputDir: simDir });
  bucket = `darkroom-multi-${tag}`;
  const names = sim.instances.map((_, i) => `m${tag}gpu${i}`);
  // What every machine is given alike; only the data folder (and the API's port) is its own.
  const shared: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    DARKROOM_API_KEYS: `acme:${KEY}`,
    DARKROOM_TASK_QUEUE: `darkroom-multi-${tag}`,
    // The APIs share no folder, so the URL-signing secret is given to both (README, "Production").
    DARKROOM_URL_SECRET: `multi-machine-secret-${tag}-0123456789abcdef`,
    COMFYUI_INSTANCES: sim.instances.map((inst, i) => `${names[i]}=${inst.url}`).join(","),
    IMAGE_MAX_EDGE: "512",
    LOG_LEVEL: "ERROR",
    // With the log's safety poll this slow, only PostgreSQL's NOTIFY can bring an API the events
    // another process wrote in time.
    LIVE_EVENTS_SAFETY_POLL_MS: "600000",
    ...s3.env(bucket, "images"),
  };
  const machine = (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `darkroom-multi-${name}-`));
    roots.push(dir);
    return { ...shared, DARKROOM_DATA_DIR: dir };
  };
  const [portA, portB] = [await freePort(), await freePort()];
  const started = await Promise.all([
    spawnRole(["api"], machine("api-a"), portA),
    spawnRole(["api"], machine("api-b"), portB),
    spawnRole(["worker"], machine("worker-a")),
    spawnRole(["worker"], machine("worker-b")),
    ...names.map((name) => spawnRole(["worker", "--gpu", name], machine(name))),
  ]);
  apis = started.slice(0, 2);
});

afterAll(async () => {
  await killAllRoles();
  await sim?.stop();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

describe("two APIs and two main workers on separate data folders", () => {
  test("every image is served by both APIs, and every live event reaches the clients of both", async () => {
    const [a, b] = apis as [RoleProcess, RoleProcess];
    const user = "multi-1";
    const clients = await Promise.all(apis.map((api) => LiveClient.open(api.url!, [`user:${user}`])));
    try {
      // One photo started on each API.
      const ids = [await requestPhoto(a, user), await requestPhoto(b, user)];
      for (const id of ids) {
        for (const [i, client] of clients.entries()) {
          const done = await client.until((m) => m.type === "image:completed" && m.generationId === id, `image:completed of ${id} on the client of API ${i}`);
          expect(typeof done.eventId).toBe("number");
        }
        // Both clients were told the same story, event for event.
        const story = (c: LiveClient) => c.messages.filter((m) => m.generationId === id && typeof m.eventId === "number" && m.type !== "image:progress").map((m) => `${m.eventId}:${m.type}`);
        expect(story(clients[0]!)).toEqual(story(clients[1]!));

        const [seenA, seenB] = [await finishedOn(a, id), await finishedOn(b, id)];
        expect([seenA.status, seenB.status], JSON.stringify(seenA.error ?? seenA)).toEqual(["completed", "completed"]);
        const signed = new URL(seenA.images[0].url);
        const bytes: Buffer[] = [];
        for (const api of [a, b]) {
          const res = await fetch(api.url + signed.pathname + signed.search);
          expect({ api: api.url, status: res.status }).toEqual({ api: api.url, status: 200 });
          expect(res.headers.get("content-type")).toBe("image/webp");
          bytes.push(Buffer.from(await res.arrayBuffer()));
        }
        expect(bytes[0]!.length).toBeGreaterThan(1000);
        expect(bytes[0]!.equals(bytes[1]!)).toBe(true);
      }
      // The bytes live in the bucket, not in any machine's folder.
      const client = s3.client();
      try {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "images/" }));
        expect(listed.KeyCount ?? 0).toBeGreaterThanOrEqual(2);
      } finally {
        client.destroy();
      }
    } finally {
      for (const c of clients) c.close();
    }
  });

  test("a photo started on one API is cancelled through the other, and clients of both are told", async () => {
    const [a, b] = apis as [RoleProcess, RoleProcess];
    const user = "multi-cancel";
    for (const inst of sim.instances) inst.setStepMs(500);
    const clients = await Promise.all(apis.map((api) => LiveClient.open(api.url!, [`user:${user}`])));
    const runsBefore = sim.instances.map((inst) => inst.runs.length);
    try {
      const id = await requestPhoto(a, user);
      // Running on a GPU, as the other API's client sees it.
      await clients[1]!.until((m) => m.type === "image:progress" && m.generationId === id, `progress of ${id} on the client of API 1`);
      const cancelled = await request(b, "POST", `/v1/generations/${id}/cancel`);
      expect(cancelled.status).toBe(202);
      for (const [i, client] of clients.entries()) {
        await client.until((m) => m.type === "image:cancelled" && m.generationId === id, `image:cancelled of ${id} on the client of API ${i}`);
      }
      expect((await finishedOn(a, id)).status).toBe("cancelled");
      expect((await finishedOn(b, id)).status).toBe("cancelled");
      // The running prompt was interrupted on the GPU, not left to finish.
      const runs = sim.instances.flatMap((inst, i) => inst.runs.slice(runsBefore[i]));
      await eventually(async () => (runs.every((r) => r.outcome) ? true : undefined), "the interrupted run to end");
      expect(runs.map((r) => r.outcome)).toEqual(["interrupted"]);
    } finally {
      for (const c of clients) c.close();
      for (const inst of sim.instances) inst.setStepMs(5);
    }
  });
});
