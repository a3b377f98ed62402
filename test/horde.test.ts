/**
 * The AI Horde client and job runner against the Horde simulator over real HTTP: progress and ETA
 * from the queue, 429 waited out, faulted and expired requests as errors, cancellation as DELETE,
 * and re-attaching to a request an earlier attempt submitted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import sharp from "sharp";
import { HordeClient } from "../activities/horde/client";
import {
  HordeRateLimited,
  HordeRequestExpired,
  HordeRequestFailed,
  HordeRequestRefused,
  HordeUnavailable,
} from "../activities/horde/errors";
import { hordeImageBytes, hordeProgressPercent, hordeRequest, runHordeJob, type HordeProgress } from "../activities/horde/job";
import { HORDE_CLIENT_AGENT } from "../activities/horde/protocol";
import { startHordeSimulator, type HordeSimulator } from "../simulators/horde";

const PARAMS = { prompt: "white BMW X5 2020 SUV, front view", negativePrompt: "blurry", seed: 123456789, width: 512, height: 384 };
const FAST = { pollMs: 20, rateLimitBackoffMs: 10 };

let sim: HordeSimulator;
let client: HordeClient;
beforeAll(async () => {
  sim = await startHordeSimulator({ jobMs: 150, workers: 1 });
  client = new HordeClient({ url: sim.url });
});
afterAll(() => sim?.stop());

describe("the AI Horde job", () => {
  test("queue position and wait time become progress and ETA; the image comes back once, as WebP", async () => {
    sim.setJobMs(1000);
    try {
      // Someone else's job holds the only worker, so ours waits in the queue first.
      const ahead = await client.submit(hordeRequest({ ...PARAMS, seed: 1 }));
      const progress: HordeProgress[] = [];
      const job = await runHordeJob(client, PARAMS, { ...FAST, pollMs: 50, onProgress: (p) => void progress.push(p) });
      expect(job.requestId).not.toBe(ahead.id);
      expect(job.rateLimited).toBe(0);
      expect(progress[0]).toMatchObject({ queuePosition: 1, percent: 0 });
      expect(progress[0]!.etaSeconds).toBeGreaterThanOrEqual(1);
      expect(progress.some((p) => p.queuePosition === 0)).toBe(true);
      const percents = progress.map((p) => p.percent);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(Math.max(...percents)).toBeLessThan(100);
      expect(progress.at(-1)!.etaSeconds).toBeLessThanOrEqual(progress[0]!.etaSeconds);

      const request = sim.requests.find((r) => r.id === job.requestId)!;
      expect(request.apikey).toBe("0000000000");
      expect(request.clientAgent).toBe(HORDE_CLIENT_AGENT);
      expect(request.params).toMatchObject({ seed: "123456789", width: 512, height: 384, n: 1 });
      expect(request.prompt).toBe("white BMW X5 2020 SUV, front view ### blurry");
      expect(request.statusCalls).toBe(1); // the expensive call, once, at the end
      expect(request.checks).toBeGreaterThan(1);

      const bytes = await hordeImageBytes(job.generations[0]!.img);
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe("webp");
      expect([meta.width, meta.height]).toEqual([512, 384]);
    } finally {
      sim.setJobMs(150);
    }
  });

  test("images handed out as download URLs (r2) are fetched", async () => {
    sim.setImageMode("url");
    try {
      const job = await runHordeJob(client, PARAMS, FAST);
      expect(job.generations[0]!.img).toStartWith("http");
      expect((await sharp(await hordeImageBytes(job.generations[0]!.img)).metadata()).format).toBe("webp");
    } finally {
      sim.setImageMode("base64");
    }
  });

  test("429 TooManyPrompts is waited out with backoff, then the job goes on", async () => {
    const before = sim.calls.length;
    sim.rateLimitNext(2, "submit");
    sim.rateLimitNext(1, "check");
    const job = await runHordeJob(client, PARAMS, FAST);
    expect(job.rateLimited).toBe(3);
    const mine = sim.calls.slice(before).map((c) => `${c.method} ${c.path.replace(/[0-9a-f-]{36}/, ":id")} ${c.status}`);
    expect(mine.slice(0, 3)).toEqual(["POST /api/v2/generate/async 429", "POST /api/v2/generate/async 429", "POST /api/v2/generate/async 202"]);
    expect(mine[3]).toBe("GET /api/v2/generate/check/:id 429");
    expect(mine.at(-1)).toBe("GET /api/v2/generate/status/:id 200");
  });

  test("429 that never ends gives up with HordeRateLimited", async () => {
    sim.rateLimitNext(4, "submit");
    const err = await runHordeJob(client, PARAMS, { ...FAST, maxRateLimitRetries: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HordeRateLimited);
    expect((err as HordeRateLimited).rc).toBe("TooManyPrompts");
    sim.rateLimitNext(-1, "submit"); // the one left over
  });

  test("a faulted request is an error naming the request", async () => {
    sim.faultNext(1);
    const err = await runHordeJob(client, PARAMS, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HordeRequestFailed);
    expect((err as Error).message).toContain("faulted");
  });

  test("an expired request (404 RequestNotFound) is an error", async () => {
    sim.setJobMs(2000);
    try {
      const err = await runHordeJob(client, PARAMS, { ...FAST, onRequestId: (id) => sim.expire(id) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HordeRequestExpired);
      expect((err as HordeRequestExpired).rc).toBe("RequestNotFound");
    } finally {
      sim.setJobMs(150);
    }
  });

  test("cancelling DELETEs the request on the Horde", async () => {
    sim.setJobMs(5000);
    try {
      const abort = new AbortController();
      let requestId = "";
      const err = await runHordeJob(client, PARAMS, {
        ...FAST,
        signal: abort.signal,
        onRequestId: (id) => (requestId = id),
        onProgress: () => abort.abort(new Error("cancelled by the user")),
      }).catch((e: unknown) => e);
      expect((err as Error).message).toBe("cancelled by the user");
      expect(sim.deleted).toContain(requestId);
      expect(sim.stateOf(requestId)).toBe("cancelled");
    } finally {
      sim.setJobMs(150);
    }
  });

  test("a retried attempt re-attaches to its request; an expired one is submitted again", async () => {
    const first = await client.submit(hordeRequest(PARAMS));
    const submittedBefore = sim.requests.length;
    const again = await runHordeJob(client, PARAMS, { ...FAST, previousRequestId: first.id });
    expect(again).toMatchObject({ requestId: first.id, reattached: true });
    expect(sim.requests.length).toBe(submittedBefore);

    const lost = await client.submit(hordeRequest(PARAMS));
    sim.expire(lost.id);
    const fresh = await runHordeJob(client, PARAMS, { ...FAST, previousRequestId: lost.id });
    expect(fresh.reattached).toBe(false);
    expect(fresh.requestId).not.toBe(lost.id);
  });
});

describe("the AI Horde client's errors", () => {
  test("403 KudosUpfront, 400 with field errors, 503 maintenance", async () => {
    const expensive = hordeRequest({ ...PARAMS, steps: 80 });
    const kudos = await client.submit(expensive).catch((e: unknown) => e);
    expect(kudos).toBeInstanceOf(HordeRequestRefused);
    expect((kudos as HordeRequestRefused).rc).toBe("KudosUpfront");

    const bad = await client.submit({ ...hordeRequest(PARAMS), params: { ...hordeRequest(PARAMS).params, seed: 5 as unknown as string } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(HordeRequestRefused);
    expect((bad as HordeRequestRefused).status).toBe(400);
    expect((bad as HordeRequestRefused).errors?.["params.seed"]).toContain("not of type 'string'");
    expect((bad as Error).message).toContain("params.seed");

    sim.setMaintenance(true);
    try {
      const down = await client.submit(hordeRequest(PARAMS)).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(HordeUnavailable);
      expect((down as HordeUnavailable).rc).toBe("MaintenanceMode");
    } finally {
      sim.setMaintenance(false);
    }
  });

  test("a registered key is sent as given", async () => {
    const keyed = new HordeClient({ url: sim.url, apiKey: "my-registered-key" });
    const accepted = await keyed.submit(hordeRequest(PARAMS));
    expect(sim.requests.find((r) => r.id === accepted.id)!.apikey).toBe("my-registered-key");
    await keyed.cancel(accepted.id);
  });
});

test("progress never moves backwards and reaches 100 only when done", () => {
  expect(hordeProgressPercent({ wait_time: 10, done: false }, 10, 0)).toBe(0);
  expect(hordeProgressPercent({ wait_time: 5, done: false }, 10, 0)).toBe(48);
  expect(hordeProgressPercent({ wait_time: 8, done: false }, 10, 48)).toBe(48);
  expect(hordeProgressPercent({ wait_time: 0, done: false }, 10, 48)).toBe(95);
  expect(hordeProgressPercent({ wait_time: 0, done: true }, 10, 95)).toBe(100);
});
