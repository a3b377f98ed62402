/**
 * Live previews:
 * - latency from the ComfyUI simulator sending a binary preview frame to a WebSocket client
 *   receiving its `image:preview` (GPU worker: decode, WebP, row + event in one transaction →
 *   NOTIFY → event hub → socket), p50/p99. Steps are slower than the throttle's interval, so every
 *   frame goes out at once and the figure is the path's, not the throttle's wait; both framings.
 * - the API's extra resident memory for 1,000 open generations with previews: a separate API
 *   process, one WebSocket client following them all, every preview announced and fetched once
 *   through its signed URL (as 1,000 chats would), memory read from outside before and after.
 */
import fs from "node:fs";
import path from "node:path";
import { pendingGenerationRow } from "../activities/db/generations";
import { previewWebp } from "../activities/comfyui/preview";
import { recordPreview } from "../activities/db/previews";
import { urlSecret } from "../cli/runtime";
import { loadConfig } from "../lib/config";
import { createUrlSigner } from "../lib/signedUrls";
import { freePort } from "../lib/temporal/devServer";
import { renderPreview } from "../simulators/comfyui/render";
import { eventually, startStack, type Stack } from "../test/support/stack";
import { quantile } from "./stats";

const GENERATIONS = Number(process.env.BENCH_PREVIEW_GENERATIONS ?? 12);
const STEPS = 6;
const STEP_MS = 450;
const OPEN_GENERATIONS = Number(process.env.BENCH_PREVIEW_OPEN ?? 1000);

const round = (n: number) => Math.round(n * 100) / 100;

/** Resident memory of another process, from /proc (Linux). */
function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb * 1024;
}

/** The smallest of a few samples a moment apart: what the process keeps, not a passing peak. */
async function settledRssOf(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await Bun.sleep(1000);
    samples.push(rssOf(pid));
  }
  return Math.min(...samples);
}

function follow(api: string, key: string, topics: string[], onEvent: (msg: Record<string, unknown>, at: number) => void): Promise<WebSocket> {
  const ws = new WebSocket(`${api.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(key)}`);
  return new Promise((resolve) => {
    ws.onmessage = (m) => {
      const at = performance.now();
      const msg = JSON.parse(String(m.data));
      if (msg.type === "auth:ok") ws.send(JSON.stringify({ type: "subscribe", topics }));
      else if (msg.type === "subscribed") resolve(ws);
      else onEvent(msg, at);
    };
  });
}

async function latency(stack: Stack, framing: 1 | 4) {
  for (const gpu of stack.sim.instances) gpu.setPreviewMetadata(framing === 4);
  const users = Array.from({ length: GENERATIONS }, (_, i) => `preview-${framing}-${i}`);
  const arrivals = new Map<string, number>();
  let finished = 0;
  const ws = await follow(stack.api, stack.key, users.map((u) => `user:${u}`), (msg, at) => {
    if (msg.type === "image:preview") arrivals.set(`${msg.generationId}:${msg.step}`, at);
    else if (msg.type === "image:completed" || msg.type === "image:failed") finished++;
  });
  const persona = { name: "Sofia", personality: "alegre", language: "es" };
  for (const user of users) {
    await stack.request("POST", "/v1/agents/bench/replies", { userId: user, text: "¡Dale! [IMAGE: selfie en la playa]", persona });
    await Bun.sleep(300);
  }
  await eventually(async () => (finished >= GENERATIONS ? true : undefined), "every generation", 300_000);
  ws.close();
  const gens = await stack.db.prisma.generation.findMany({ where: { userId: { in: users } }, select: { id: true, requestId: true } });
  const runs = stack.sim.instances.flatMap((i) => i.runs);
  const latencies: number[] = [];
  let frames = 0;
  for (const g of gens) {
    for (const frame of runs.find((r) => r.promptId === g.requestId)?.previews ?? []) {
      frames++;
      const got = arrivals.get(`${g.id}:${frame.step}`);
      if (got !== undefined) latencies.push(got - frame.sentAt);
    }
  }
  return { framing, framesSent: frames, previewsMatched: latencies.length, p50Ms: round(quantile(latencies, 0.5)), p90Ms: round(quantile(latencies, 0.9)), p99Ms: round(quantile(latencies, 0.99)), maxMs: round(Math.max(...latencies)) };
}

async function memory(stack: Stack) {
  // A separate API process on the same database, so only what serving previews costs is measured.
  const port = await freePort();
  const env = { ...stack.env, PORT: String(port), DARKROOM_PUBLIC_URL: `http://127.0.0.1:${port}` };
  const api = Bun.spawn([process.execPath, path.join(import.meta.dir, "..", "cli", "darkroom.ts"), "api"], { env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  const apiUrl = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => ((await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok ? true : undefined), "the API process", 60_000);
    const config = loadConfig(env);
    const signer = createUrlSigner({ secret: urlSecret(config), publicUrl: config.publicUrl });
    const prisma = stack.db.prisma;
    const tenantId = (await prisma.apiKey.findFirstOrThrow({ where: { tenant: { name: stack.tenant } } })).tenantId;

    // Real previews: what the simulator draws at a companion photo's size, as the GPU worker encodes it.
    const webps = await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        previewWebp(await renderPreview({ width: 832, height: 1216, seed: i, positive: `selfie ${i}`, checkpoint: "bench", loras: [] }, 0.6)),
      ),
    );
    const user = "preview-memory";
    let announced = 0;
    const fetches: Promise<void>[] = [];
    const ws = await follow(apiUrl, stack.key, [`user:${user}`], (msg) => {
      if (msg.type !== "image:preview") return;
      announced++;
      fetches.push(fetch(String(msg.url)).then((r) => r.arrayBuffer()).then(() => undefined));
    });
    // Warm the routes once, then measure two rounds: the second shows whether the first one's
    // growth stays with the generations or was the process settling in.
    await fetch(`${apiUrl}/v1/generations/none/preview`, { headers: { authorization: `Bearer ${stack.key}` } });
    const rounds: number[] = [];
    let bytes = 0;
    let previous = await settledRssOf(api.pid);
    const before = previous;
    const allIds: string[] = [];
    for (let pass = 0; pass < 2; pass++) {
      const ids: string[] = [];
      for (let i = 0; i < OPEN_GENERATIONS; i += 100) {
        const batch = Array.from({ length: Math.min(100, OPEN_GENERATIONS - i) }, () => crypto.randomUUID());
        await prisma.generation.createMany({
          data: batch.map((id) => ({
            ...pendingGenerationRow({ generationId: id, tenantId, kind: "companion_photo", description: "bench", template: undefined, width: 832, height: 1216, negativePrompt: undefined, workflowId: `bench/${id}` }),
            status: "generating" as const,
            userId: user,
            agentId: "bench",
          })),
        });
        ids.push(...batch);
      }
      for (let i = 0; i < ids.length; i += 20) {
        await Promise.all(
          ids.slice(i, i + 20).map((id, j) => {
            const p = webps[(i + j) % webps.length]!;
            bytes += p.webp.byteLength;
            return recordPreview(prisma, { generationId: id, step: 12, of: 20, ...p }, (g, v) => signer.previewUrl(g, v));
          }),
        );
      }
      allIds.push(...ids);
      await eventually(async () => (announced >= allIds.length ? true : undefined), "every preview announced", 120_000);
      await Promise.all(fetches);
      const now = await settledRssOf(api.pid);
      rounds.push(now - previous);
      previous = now;
    }
    ws.close();
    await prisma.generation.updateMany({ where: { id: { in: allIds } }, data: { status: "cancelled" } });
    return {
      openGenerations: OPEN_GENERATIONS,
      previewsAnnouncedAndFetched: announced,
      meanPreviewBytes: Math.round(bytes / allIds.length),
      apiRssBeforeMb: round(before / 2 ** 20),
      // Per 1,000 open generations with previews, first round and second round.
      apiRssGrowthMbPer1000: rounds.map((r) => round((r / 2 ** 20) * (1000 / OPEN_GENERATIONS))),
    };
  } finally {
    api.kill();
    await api.exited;
  }
}

export async function benchPreviews(): Promise<object> {
  const stack = await startStack({ instances: 2, stepMs: STEP_MS, steps: STEPS, env: { MAX_CONCURRENT_GENERATIONS: "1000", IMAGE_MAX_EDGE: "256" } });
  try {
    const event4 = await latency(stack, 4);
    const event1 = await latency(stack, 1);
    return { frameToWebSocket: [event4, event1], apiMemory: await memory(stack) };
  } finally {
    await stack.stop();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchPreviews(), null, 2));
  process.exit(0);
}
