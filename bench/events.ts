/**
 * Live event latency and WebSocket density:
 * - from the ComfyUI simulator sending a `progress` frame to a WebSocket client receiving the
 *   matching `image:progress` (GPU worker hook → event insert → NOTIFY → event hub → socket), p50/p99;
 * - WebSockets held (authenticated, subscribed, idle) per 100 MB of API process memory, with the
 *   clients in a separate process so only the server's side is counted.
 */
import path from "node:path";
import { SocketHub } from "../simulators/comfyui/sockets";
import { eventually, startStack } from "../test/support/stack";
import { holdSockets } from "./roleStack";
import { quantile } from "./stats";

const GENERATIONS = Number(process.env.BENCH_EVENT_GENERATIONS ?? 20);
const STEPS = 10;
const IDLE_SOCKETS = Number(process.env.BENCH_IDLE_SOCKETS ?? 5000);

const round = (n: number) => Math.round(n * 100) / 100;

/** RSS once the heap has been collected and the process has been quiet for a moment. */
async function settledRss(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    Bun.gc(true);
    await Bun.sleep(700);
    samples.push(process.memoryUsage().rss);
  }
  return Math.min(...samples);
}

export async function benchEvents(): Promise<object> {
  // When the simulator sends each progress frame, keyed by prompt id and step.
  const frameAt = new Map<string, number>();
  const originalJson = SocketHub.prototype.json;
  SocketHub.prototype.json = function (this: SocketHub, type: string, data: unknown, sid?: string | null) {
    if (type === "progress") {
      const d = data as { prompt_id: string; value: number };
      frameAt.set(`${d.prompt_id}:${d.value}`, performance.now());
    }
    return originalJson.call(this, type, data, sid);
  };
  const stack = await startStack({ instances: 2, stepMs: 50, steps: STEPS, env: { MAX_CONCURRENT_GENERATIONS: "1000", IMAGE_MAX_EDGE: "256" } });
  try {
    // 1. Latency: one client following every user of the run.
    const users = Array.from({ length: GENERATIONS }, (_, i) => `lat-${i}`);
    const ws = new WebSocket(`${stack.api.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(stack.key)}`);
    const arrivals = new Map<string, number>();
    let finished = 0;
    await new Promise<void>((resolve) => {
      ws.onmessage = (m) => {
        const now = performance.now();
        const msg = JSON.parse(String(m.data));
        if (msg.type === "auth:ok") ws.send(JSON.stringify({ type: "subscribe", topics: users.map((u) => `user:${u}`) }));
        else if (msg.type === "subscribed") resolve();
        else if (msg.type === "image:progress" && typeof msg.step === "number") arrivals.set(`${msg.generationId}:${msg.step}`, now);
        else if (msg.type === "image:completed" || msg.type === "image:failed") finished++;
      };
    });
    const persona = { name: "Sofia", personality: "alegre", language: "es" };
    // Staggered, so the numbers describe a busy but not saturated pool.
    for (const user of users) {
      await stack.request("POST", "/v1/agents/bench/replies", { userId: user, text: "¡Dale! [IMAGE: selfie en la playa]", persona });
      await Bun.sleep(100);
    }
    await eventually(async () => (finished >= GENERATIONS ? true : undefined), "every generation", 300_000);
    ws.close();
    const gens = await stack.db.prisma.generation.findMany({ where: { userId: { in: users } }, select: { id: true, requestId: true } });
    const latencies: number[] = [];
    for (const g of gens) {
      for (let step = 1; step <= STEPS; step++) {
        const sent = frameAt.get(`${g.requestId}:${step}`);
        const got = arrivals.get(`${g.id}:${step}`);
        if (sent !== undefined && got !== undefined) latencies.push(got - sent);
      }
    }

    // 2. Density: API memory with N idle sockets held by another process.
    const before = await settledRss();
    const sockets = await holdSockets(stack.api, stack.key, IDLE_SOCKETS);
    const after = await settledRss();
    await sockets.release();
    const perSocketBytes = Math.max(1, (after - before) / IDLE_SOCKETS);

    return {
      progressFrameToWebSocket: {
        frames: latencies.length,
        p50Ms: round(quantile(latencies, 0.5)),
        p99Ms: round(quantile(latencies, 0.99)),
        maxMs: round(Math.max(...latencies)),
      },
      idleSockets: {
        held: IDLE_SOCKETS,
        apiRssGrowthMb: round((after - before) / 2 ** 20),
        bytesPerSocket: Math.round(perSocketBytes),
        socketsPer100Mb: Math.round((100 * 2 ** 20) / perSocketBytes),
      },
    };
  } finally {
    SocketHub.prototype.json = originalJson;
    await stack.stop();
  }
}

if (import.meta.main) console.log(JSON.stringify(await benchEvents(), null, 2));
