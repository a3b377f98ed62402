/**
 * Live previews on real parts (Temporal, PostgreSQL, the API and workers, the ComfyUI simulator):
 * frames of both framings become `image:preview` events on the WebSocket, in order, throttled,
 * each pointing at a ≤256 px WebP that a plain <img> can load; a resumed client gets the same ones.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import sharp from "sharp";
import type { SimRun } from "../simulators/comfyui";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

type Msg = { type: string; eventId?: number; [k: string]: unknown };

interface Fetched {
  eventId: number;
  status: number;
  contentType: string | null;
  version: number;
  bytes: Uint8Array;
}

/** A realtime socket that fetches each preview's URL the moment its event arrives, as a chat would. */
class Watcher {
  readonly messages: Msg[] = [];
  readonly fetched: Array<Promise<Fetched>> = [];
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as Msg;
      this.messages.push(msg);
      if (msg.type === "image:preview") {
        this.fetched.push(
          fetch(String(msg.url)).then(async (res) => ({
            eventId: msg.eventId!,
            status: res.status,
            contentType: res.headers.get("content-type"),
            version: Number(res.headers.get("x-preview-version")),
            bytes: new Uint8Array(await res.arrayBuffer()),
          })),
        );
      }
    };
  }

  static async open(api: string, token: string, topics: string[], since?: number): Promise<Watcher> {
    const ws = new WebSocket(`${api.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(token)}`);
    const watcher = new Watcher(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("websocket did not open"));
    });
    await watcher.until((m) => m.type === "auth:ok", "auth:ok");
    ws.send(JSON.stringify({ type: "subscribe", topics }));
    await watcher.until((m) => m.type === "subscribed", "subscribed");
    if (since !== undefined) {
      ws.send(JSON.stringify({ type: "resume", since }));
      await watcher.until((m) => m.type === "resumed", "resumed");
    }
    return watcher;
  }

  until(pred: (m: Msg) => boolean, what: string): Promise<Msg> {
    return eventually(async () => this.messages.find(pred), what, 90_000);
  }

  logEvents(): Msg[] {
    return this.messages.filter((m) => typeof m.eventId === "number");
  }

  close() {
    this.ws.close();
  }
}

const STEPS = 12;
const STEP_MS = 100;
const INTERVAL_MS = 400;

describe("live previews", () => {
  let stack: Stack;
  const otherKey = `key-other-${Math.random().toString(36).slice(2)}-pv`;
  const reply = (userId: string) =>
    stack.request("POST", "/v1/agents/sofia/replies", {
      userId,
      text: "Sure! [IMAGE: selfie at the beach]",
      persona: { name: "Sofia", personality: "cheerful", language: "en" },
    });

  beforeAll(async () => {
    stack = await startStack({
      instances: 1,
      stepMs: STEP_MS,
      steps: STEPS,
      tenants: { acme: `key-acme-${Math.random().toString(36).slice(2)}-pv`, other: otherKey },
    });
  });
  afterAll(() => stack?.stop());

  /** Runs one photo to its end with a watcher on its user, and checks what every client would notice. */
  async function photo(userId: string): Promise<{ generationId: string; watcher: Watcher; run: SimRun; previews: Msg[] }> {
    const watcher = await Watcher.open(stack.api, stack.key, [`user:${userId}`]);
    const started = await reply(userId);
    expect(started.status).toBe(200);
    const generationId = started.body.generations[0].id as string;
    await watcher.until((m) => m.type === "image:completed" && m.generationId === generationId, "the photo");
    const events = watcher.logEvents().filter((m) => m.generationId === generationId);
    const previews = events.filter((m) => m.type === "image:preview");
    const promptId = (await stack.db.prisma.generation.findUniqueOrThrow({ where: { id: generationId } })).requestId!;
    const simRun = stack.sim.instances[0]!.runs.find((r) => r.promptId === promptId)!;

    // In log order, all before the end, each step no earlier than the one before.
    const ids = events.map((m) => m.eventId!);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const completedAt = events.findIndex((m) => m.type === "image:completed");
    expect(events.findLastIndex((m) => m.type === "image:preview")).toBeLessThan(completedAt);
    const steps = previews.map((m) => Number(m.step));
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    // The picture the sampler ended on arrives: the throttle keeps the newest frame.
    expect(previews.at(-1)).toMatchObject({ step: STEPS, of: STEPS, generationId });

    // Throttled: one frame per step left the instance, at most one preview per interval (plus the
    // first and the last) reached the client, and never one per frame.
    expect(simRun.previews).toHaveLength(STEPS);
    const sampling = simRun.previews.at(-1)!.sentAt - simRun.previews[0]!.sentAt;
    expect(previews.length).toBeGreaterThanOrEqual(2);
    expect(previews.length).toBeLessThanOrEqual(Math.floor(sampling / INTERVAL_MS) + 2);
    expect(previews.length).toBeLessThan(STEPS);

    // Each URL, fetched without the API key the moment its event came, was a WebP of at most 256 px
    // with the event's size, at least as new as the event.
    const fetched = await Promise.all(watcher.fetched);
    const mine = fetched.filter((f) => previews.some((p) => p.eventId === f.eventId));
    expect(mine).toHaveLength(previews.length);
    for (const f of mine) {
      const event = previews.find((p) => p.eventId === f.eventId)!;
      expect(f.status).toBe(200);
      expect(f.contentType).toBe("image/webp");
      expect(f.version).toBeGreaterThanOrEqual(Number(new URL(String(event.url)).searchParams.get("v")));
      const meta = await sharp(f.bytes).metadata();
      expect(meta.format).toBe("webp");
      expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(256);
      expect(Math.max(Number(event.width), Number(event.height))).toBe(256);
    }
    return { generationId, watcher, run: simRun, previews };
  }

  test("event 4 frames (the client's feature_flags handshake) reach a WebSocket client as image:preview", async () => {
    const { run, watcher } = await photo("u-preview-meta");
    expect(run.previews.every((p) => p.event === 4)).toBe(true);
    watcher.close();
  });

  test("event 1 frames (a build without feature flags) too, credited by the prompt executing on the socket", async () => {
    stack.sim.instances[0]!.setPreviewMetadata(false);
    try {
      const { run, watcher } = await photo("u-preview-legacy");
      expect(run.previews.every((p) => p.event === 1)).toBe(true);
      watcher.close();
    } finally {
      stack.sim.instances[0]!.setPreviewMetadata(true);
    }
  });

  test("resuming from an eventId replays the same previews; the preview URL needs its signature or the tenant's key", async () => {
    const { generationId, watcher, previews } = await photo("u-preview-resume");
    const first = previews[0]!;
    const expected = watcher.logEvents().filter((m) => m.eventId! > first.eventId!);

    const resumed = await Watcher.open(stack.api, stack.key, [`user:u-preview-resume`], first.eventId);
    await resumed.until((m) => m.type === "image:completed", "the replay to reach the end");
    const replayed = resumed.logEvents();
    expect(replayed.map((m) => `${m.eventId}:${m.type}`)).toEqual(expected.map((m) => `${m.eventId}:${m.type}`));
    expect(replayed.filter((m) => m.type === "image:preview")).toEqual(previews.slice(1));
    resumed.close();
    watcher.close();

    // The SSE stream carries them too, from the same log.
    const sse = await fetch(`${stack.api}/v1/generations/${generationId}/events`, {
      headers: { authorization: `Bearer ${stack.key}`, "last-event-id": String(first.eventId! - 1) },
    }).then((r) => r.text());
    expect(sse).toContain(`id: ${first.eventId}\nevent: image:preview\ndata: `);

    // The signed URL stands alone; without its signature it takes the owner's key.
    const url = new URL(String(first.url));
    expect((await fetch(url)).status).toBe(200);
    const bare = `${stack.api}${url.pathname}`;
    expect((await fetch(bare)).status).toBe(401);
    expect((await fetch(bare, { headers: { authorization: `Bearer ${otherKey}` } })).status).toBe(404);
    const owned = await fetch(bare, { headers: { authorization: `Bearer ${stack.key}` } });
    expect(owned.status).toBe(200);
    expect(owned.headers.get("content-type")).toBe("image/webp");
    const tampered = new URL(url);
    tampered.searchParams.set("sig", "A".repeat(43));
    expect((await fetch(tampered)).status).toBe(401);
    const etag = owned.headers.get("etag")!;
    expect((await fetch(bare, { headers: { authorization: `Bearer ${stack.key}`, "if-none-match": etag } })).status).toBe(304);
    // A generation without previews (none yet, or unknown) is a 404 in the one error shape.
    const none = await stack.request("GET", "/v1/generations/no-such-generation/preview");
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe("not_found");
  });
});
