/**
 * The realtime WebSocket on real parts: two API processes on one PostgreSQL database (fan-out by
 * LISTEN/NOTIFY, not process memory), resume in the middle of a generation, many sockets at once,
 * tenant isolation, and a stalled client that is cut off without holding anyone else up.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import net from "node:net";
import { eventRow } from "../activities/db/events";
import { loadConfig } from "../lib/config";
import { start, type Running } from "../cli/runtime";
import { freePort } from "../lib/temporal/devServer";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

type Msg = { type: string; eventId?: number; [k: string]: unknown };

class Client {
  readonly messages: Msg[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (m) => this.messages.push(JSON.parse(String(m.data)));
    ws.onclose = (e) => (this.closed = { code: e.code, reason: e.reason });
  }

  static async open(api: string, token: string, topics: string[], since?: number): Promise<Client> {
    const ws = new WebSocket(`${api.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(token)}`);
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("websocket did not open"));
    });
    await client.until((m) => m.type === "auth:ok", "auth:ok");
    // A reconnecting client subscribes and resumes in one message: with `subscribe` then `resume`,
    // an event committed between the two is delivered live before the older ones the resume replays.
    client.send({ type: "subscribe", topics, ...(since !== undefined ? { since } : {}) });
    await client.until((m) => m.type === "subscribed", "subscribed");
    if (since !== undefined) await client.until((m) => m.type === "resumed", "resumed");
    return client;
  }

  send(msg: unknown) {
    this.ws.send(JSON.stringify(msg));
  }

  until(pred: (m: Msg) => boolean, what: string): Promise<Msg> {
    return eventually(async () => this.messages.find(pred), what, 60_000);
  }

  /** Log events only (not protocol replies), as eventId:type. */
  events(): string[] {
    return this.messages.filter((m) => typeof m.eventId === "number").map((m) => `${m.eventId}:${m.type}`);
  }

  close() {
    this.ws.close();
  }
}

const finished = (m: Msg) => m.type === "image:completed" || m.type === "image:failed";

describe("realtime WebSocket", () => {
  let stack: Stack;
  let second: Running;
  let secondApi: string;
  const otherKey = `key-other-${Math.random().toString(36).slice(2)}-rt`;
  const reply = (userId: string) =>
    stack.request("POST", "/v1/agents/sofia/replies", { userId, text: "Sure! [IMAGE: selfie at the beach]", persona: { name: "Sofia", personality: "cheerful", language: "en" } });

  beforeAll(async () => {
    stack = await startStack({ stepMs: 40, steps: 8, tenants: { acme: `key-acme-${Math.random().toString(36).slice(2)}-rt`, other: otherKey } });
    // A second API process on the same database: only the database connects the two, and with its
    // safety poll this slow, only NOTIFY can bring it the events in time.
    const port = await freePort();
    second = await start(loadConfig({ ...stack.env, PORT: String(port), LIVE_EVENTS_SAFETY_POLL_MS: "600000" }), { api: true });
    secondApi = second.apiUrl!;
  });
  afterAll(async () => {
    await second?.stop();
    await stack?.stop();
  });

  test("ping gets a pong echoing the timestamp; no key, no events", async () => {
    const c = await Client.open(stack.api, stack.key, []);
    c.send({ type: "ping", timestamp: 12345 });
    expect(await c.until((m) => m.type === "pong", "pong")).toEqual({ type: "pong", timestamp: 12345 });
    c.close();
    const bad = new WebSocket(`${stack.api.replace(/^http/, "ws")}/v1/ws?token=wrong`);
    const code = await new Promise<number>((resolve) => (bad.onclose = (e) => resolve(e.code)));
    expect(code).toBe(4401);
  });

  test("two API processes: a client on each receives the same events", async () => {
    const onFirst = await Client.open(stack.api, stack.key, ["user:u-two"]);
    const onSecond = await Client.open(secondApi, stack.key, ["user:u-two"]);
    const started = await reply("u-two");
    expect(started.status).toBe(200);
    await onFirst.until(finished, "completion on API 1");
    await onSecond.until(finished, "completion on API 2");
    expect(onFirst.events()).toEqual(onSecond.events());
    expect(onFirst.events().some((e) => e.endsWith(":image:progress"))).toBe(true);
    const progress = onSecond.messages.find((m) => m.type === "image:progress")!;
    expect(progress).toMatchObject({ generationId: started.body.generations[0].id });
    expect(typeof progress.percent).toBe("number");
    onFirst.close();
    onSecond.close();
  });

  test("resume in the middle of a generation: nothing lost, nothing twice", async () => {
    const before = await Client.open(stack.api, stack.key, ["user:u-resume"]);
    const started = await reply("u-resume");
    const generationId = started.body.generations[0].id as string;
    await before.until((m) => m.type === "image:progress", "first progress");
    before.close();
    const last = Math.max(...before.messages.filter((m) => typeof m.eventId === "number").map((m) => m.eventId!));

    // Reconnect to the other process, resume from the last event seen.
    const after = await Client.open(secondApi, stack.key, ["user:u-resume"], last);
    await after.until(finished, "completion after resume");
    const seen = [...before.events(), ...after.events()];
    expect(new Set(seen).size).toBe(seen.length);

    const reference = await Client.open(stack.api, stack.key, ["user:u-resume"], 0);
    expect(seen).toEqual(reference.events());
    after.close();
    reference.close();

    // The same generation as task updates: one per event, ending in SUCCESS.
    const task = await Client.open(stack.api, stack.key, [`task:${generationId}`], 0);
    const updates = task.messages.filter((m) => m.type === "task:update");
    expect(updates.map((u) => u.eventId)).toEqual(reference.messages.filter((m) => typeof m.eventId === "number").map((m) => m.eventId));
    expect(updates.at(-1)).toMatchObject({ task_id: generationId, state: "SUCCESS", details: { progress: 100 } });
    task.close();
  });

  test("an API process shutting down mid-generation: SSE and sockets are told to reconnect, and resume elsewhere losing nothing", async () => {
    // A third API process, the one that goes away (a deploy's SIGTERM calls the same stop()).
    const leaving = await start(loadConfig({ ...stack.env, PORT: String(await freePort()) }), { api: true });
    const socket = await Client.open(leaving.apiUrl!, stack.key, ["user:u-deploy"]);
    const started = await reply("u-deploy");
    const generationId = started.body.generations[0].id as string;
    const sse = await fetch(`${leaving.apiUrl}/v1/generations/${generationId}/events`, { headers: { authorization: `Bearer ${stack.key}` } });
    const sseText = sse.text();
    await socket.until((m) => m.type === "image:progress", "progress before the shutdown");

    await leaving.stop();

    // Sockets close with 1012 (service restart) and a resume hint; SSE streams end with a retry hint.
    await eventually(async () => socket.closed, "the socket to be closed");
    expect(socket.closed!.code).toBe(1012);
    expect(socket.closed!.reason).toContain("resume");
    const frames = await sseText;
    expect(frames).toContain(": darkroom is restarting; reconnect with Last-Event-ID\nretry: 1000\n\n");
    const sseIds = [...frames.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(sseIds.length).toBeGreaterThan(0);

    // Both come back on another process from where they were, and see the rest exactly once.
    const lastSeen = Math.max(...socket.messages.filter((m) => typeof m.eventId === "number").map((m) => m.eventId!));
    const resumed = await Client.open(stack.api, stack.key, ["user:u-deploy"], lastSeen);
    await resumed.until(finished, "completion after the resume");
    const seen = [...socket.events(), ...resumed.events()];
    const reference = await Client.open(stack.api, stack.key, ["user:u-deploy"], 0);
    await reference.until(finished, "the whole log");
    expect(seen).toEqual(reference.events());
    const rest = await fetch(`${stack.api}/v1/generations/${generationId}/events`, {
      headers: { authorization: `Bearer ${stack.key}`, "last-event-id": String(sseIds.at(-1)) },
    }).then((r) => r.text());
    const restIds = [...rest.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect([...sseIds, ...restIds]).toEqual(reference.messages.filter((m) => typeof m.eventId === "number").map((m) => m.eventId!));
    resumed.close();
    reference.close();
  });

  test("many sockets at once all get every event; another tenant gets none", async () => {
    const clients = await Promise.all(Array.from({ length: 150 }, () => Client.open(stack.api, stack.key, ["user:u-many"])));
    const outsider = await Client.open(stack.api, otherKey, ["user:u-many"]);
    await reply("u-many");
    await Promise.all(clients.map((c) => c.until(finished, "completion")));
    const expected = clients[0]!.events();
    expect(expected.length).toBeGreaterThan(3);
    for (const c of clients) expect(c.events()).toEqual(expected);
    expect(outsider.events()).toEqual([]);
    for (const c of clients) c.close();
    outsider.close();
  });

  test("a stalled client is cut off with a resume hint; the others get everything", async () => {
    const port = Number(new URL(stack.api).port);
    const stalled = await stalledSocket(port, stack.key, ["user:u-flood"]);
    const reader = await Client.open(stack.api, stack.key, ["user:u-flood"]);

    // A flood of events far beyond what one socket may have queued.
    const tenantId = (await stack.db.prisma.apiKey.findFirstOrThrow({ where: { tenant: { name: "acme" } } })).tenantId;
    const blob = "x".repeat(1000);
    const total = 12_000;
    for (let i = 0; i < total; i += 1000) {
      const rows = Array.from({ length: 1000 }, (_, j) => eventRow({ tenantId, userId: "u-flood" }, "message:new", { message: { n: i + j, blob } }));
      await stack.db.prisma.event.createMany({ data: rows });
    }
    await eventually(async () => (reader.events().length === total ? true : undefined), "the reader to get every event");
    const ids = reader.messages.filter((m) => m.type === "message:new").map((m) => (m.message as { n: number }).n);
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => i));

    const close = await stalled.resumeAndReadClose();
    expect(close.code).toBe(4408);
    expect(close.reason).toContain("resume");
    reader.close();
  });
});

/** A raw WebSocket that subscribes and then stops reading, so the server's queue for it grows. */
async function stalledSocket(port: number, token: string, topics: string[]) {
  const sock = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => sock.once("connect", () => resolve()));
  sock.write(
    `GET /v1/ws?token=${encodeURIComponent(token)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buffer = Buffer.alloc(0);
  const onData = (d: Buffer) => (buffer = Buffer.concat([buffer, d]));
  sock.on("data", onData);
  await eventually(async () => (buffer.includes("auth:ok") ? true : undefined), "raw socket auth");
  sock.write(maskedTextFrame(JSON.stringify({ type: "subscribe", topics })));
  await eventually(async () => (buffer.includes("subscribed") ? true : undefined), "raw socket subscribed");
  sock.pause();
  return {
    async resumeAndReadClose(): Promise<{ code: number; reason: string }> {
      sock.resume();
      const result = await eventually(async () => findCloseFrame(buffer), "the close frame", 60_000);
      sock.destroy();
      return result;
    },
  };
}

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

/** Walks the server's (unmasked) frames after the HTTP upgrade answer and returns the close frame. */
function findCloseFrame(buffer: Buffer): { code: number; reason: string } | undefined {
  let at = buffer.indexOf("\r\n\r\n") + 4;
  while (at + 2 <= buffer.length) {
    const opcode = buffer[at]! & 0x0f;
    let len = buffer[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      len = buffer.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      len = Number(buffer.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (at + head + len > buffer.length) return undefined;
    if (opcode === 8) return { code: buffer.readUInt16BE(at + head), reason: buffer.subarray(at + head + 2, at + head + len).toString() };
    at += head + len;
  }
  return undefined;
}
