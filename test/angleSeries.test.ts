/**
 * Angle series end to end on real parts: Temporal, PostgreSQL, three simulated ComfyUI
 * instances and the simulated AI Horde, the API over a socket. Stable identity across processes,
 * angles in parallel across instances (and queued on one), fallback to the Horde, a failing angle
 * that leaves the others alone, and bad input.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { startHordeSimulator, type HordeSimulator } from "../simulators/horde";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const BMW = { brand: "BMW", model: "X5", year: 2020, color: "white", bodyType: "SUV" };

describe("identity", () => {
  const identityIn = (nonce: string) => {
    const lib = path.resolve(import.meta.dir, "../domain/seriesIdentity.ts");
    const script =
      `const { seriesSessionId, angleSeed } = await import(${JSON.stringify(lib)});` +
      `const id = seriesSessionId("acme", ${JSON.stringify(BMW)}, ${JSON.stringify(nonce)});` +
      `console.log(JSON.stringify({ id, seeds: ["front", "side", "rear"].map((a) => angleSeed(id, a)) }));`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout) as { id: string; seeds: number[] };
  };

  test("the same subject and nonce give the same session and seeds in separate processes", () => {
    const a = identityIn("n1");
    const b = identityIn("n1");
    expect(a).toEqual(b);
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(a.seeds).size).toBe(3);
    for (const seed of a.seeds) expect(Number.isSafeInteger(seed)).toBe(true);
    expect(identityIn("n2").id).not.toBe(a.id);
  });
});

describe("angle series on the pool", () => {
  let stack: Stack;
  let horde: HordeSimulator;
  const OTHER_KEY = `key-globex-${Math.random().toString(36).slice(2)}-0123456789`;
  beforeAll(async () => {
    horde = await startHordeSimulator({ jobMs: 100, workers: 2 });
    stack = await startStack({
      instances: 3,
      stepMs: 40,
      steps: 5,
      env: { AI_HORDE_URL: horde.url, AI_HORDE_POLL_MS: "30" },
      tenants: { acme: `key-acme-${Math.random().toString(36).slice(2)}-0123456789`, globex: OTHER_KEY },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await horde?.stop();
  });

  const series = (body: unknown) => stack.request("POST", "/v1/series", body);
  const lastRun = (i: number) => stack.sim.instances[i]!.runs.at(-1)!;
  async function finished(sessionId: string) {
    return eventually(async () => {
      const s = (await stack.request("GET", `/v1/series/${sessionId}`)).body;
      return ["completed", "partial", "failed", "cancelled"].includes(s?.status) ? s : undefined;
    }, `series ${sessionId}`);
  }

  test("three angles run in parallel on three instances; asking again joins the same series", async () => {
    const res = await series({ subject: BMW, nonce: "parallel", wait: 30 });
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.status).toBe("completed");
    expect(s.total_generated).toBe(3);
    expect(s.images.map((i: { angle: string }) => i.angle)).toEqual(["front", "side", "rear"]);
    expect(s.images.map((i: { isMain: boolean }) => i.isMain)).toEqual([true, false, false]);
    expect(new Set(s.images.map((i: { seed: number }) => i.seed)).size).toBe(3);
    for (const image of s.images) {
      expect(image).toMatchObject({ sessionId: s.sessionId, status: "completed", provider: "comfyui" });
      expect(image.prompt).toStartWith("white BMW X5 2020 SUV, ");
      expect(image.prompt).toContain("same car, consistent design");
      expect((await fetch(image.url)).headers.get("content-type")).toBe("image/webp");
    }
    // Each angle on its own instance, all on the GPU at the same time.
    expect(new Set(s.images.map((i: { instance: string }) => i.instance)).size).toBe(3);
    const runs = [0, 1, 2].map(lastRun);
    expect(Math.max(...runs.map((r) => r.startedAt))).toBeLessThan(Math.min(...runs.map((r) => r.finishedAt!)));

    const again = await series({ subject: { ...BMW, brand: " bmw " }, nonce: "parallel" });
    expect(again.status).toBe(202);
    expect(again.body.sessionId).toBe(s.sessionId);
    expect(again.body.images.map((i: { seed: number }) => i.seed)).toEqual(s.images.map((i: { seed: number }) => i.seed));
    expect(stack.sim.instances.reduce((n, i) => n + i.runs.length, 0)).toBe(3);

    // Each angle is a generation too; the series and its angles are tenant-scoped.
    const gen = await stack.request("GET", `/v1/generations/${s.images[0].generationId}`);
    expect(gen.body).toMatchObject({ kind: "angle_series", status: "completed", workflowId: `darkroom/angle_series/${s.sessionId}/front` });
    expect((await stack.request("GET", `/v1/series/${s.sessionId}`, undefined, OTHER_KEY)).status).toBe(404);
    expect((await stack.request("GET", `/v1/generations/${s.images[0].generationId}`, undefined, OTHER_KEY)).status).toBe(404);
    const described = await stack.running.temporal.workflow.getHandle(`darkroom/angle_series/${s.sessionId}`).describe();
    expect(described.searchAttributes.DarkroomKind).toEqual(["angle_series"]);
    expect(described.searchAttributes.DarkroomTenant).toEqual([stack.tenant]);
    expect(described.searchAttributes.DarkroomStatus).toEqual(["completed"]);
  });

  test("consistency 'reference': the main view first, then every other angle starts from its picture", async () => {
    const res = await series({ subject: BMW, nonce: "reference", consistency: "reference", wait: 30 });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("completed");
    const [main, ...others] = res.body.images as Array<{ generationId: string; instance: string; isMain: boolean }>;
    expect(main!.isMain).toBe(true);
    const ran = async (image: { generationId: string; instance: string }) => {
      const row = await stack.db.prisma.generation.findUniqueOrThrow({ where: { id: image.generationId } });
      const instance = stack.sim.instances[stack.instanceNames.indexOf(image.instance)]!;
      const history = await (await fetch(`${instance.url}/history/${row.requestId}`)).json();
      const graph = history[row.requestId!].prompt[2] as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
      return { graph: Object.values(graph), run: instance.runs.find((r) => r.promptId === row.requestId)! };
    };
    const mainRun = await ran(main!);
    expect(mainRun.graph.some((n) => n.class_type === "LoadImage")).toBe(false);
    for (const image of others) {
      const { graph, run } = await ran(image);
      // Uploaded to the instance that made this angle, and loaded as the starting picture.
      expect(graph.find((n) => n.class_type === "LoadImage")!.inputs.image).toBe(`darkroom-ref-${main!.generationId}.png`);
      expect(graph.find((n) => n.class_type === "KSampler")!.inputs.denoise).toBeLessThan(1);
      expect(run.startedAt).toBeGreaterThanOrEqual(mainRun.run.finishedAt!);
    }
  });

  test("on a single healthy instance the angles queue one after another", async () => {
    await stack.sim.instances[1]!.down();
    await stack.sim.instances[2]!.down();
    try {
      await Bun.sleep(600); // the pool's health cache forgets the instances that went down
      const before = stack.sim.instances[0]!.runs.length;
      const res = await series({ subject: BMW, nonce: "queued", angles: ["front", "side", "rear"] });
      expect(res.status).toBe(202);
      const s = await finished(res.body.sessionId);
      expect(s.status).toBe("completed");
      const runs = stack.sim.instances[0]!.runs.slice(before);
      expect(runs).toHaveLength(3);
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAt).toBeGreaterThanOrEqual(runs[i - 1]!.finishedAt!);
    } finally {
      await stack.sim.instances[1]!.up();
      await stack.sim.instances[2]!.up();
    }
  });

  test("with every ComfyUI instance down, the AI Horde makes the series", async () => {
    await Promise.all(stack.sim.instances.map((i) => i.down()));
    try {
      await Bun.sleep(600);
      const before = horde.requests.length;
      const res = await series({ subject: { ...BMW, color: "чорний" }, nonce: "fallback", angles: ["front", "rear"], wait: 30 });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("completed");
      for (const image of res.body.images) expect(image).toMatchObject({ provider: "horde", status: "completed" });
      const sent = horde.requests.slice(before);
      expect(sent.map((r) => r.params.seed).sort()).toEqual(res.body.images.map((i: { seed: number }) => String(i.seed)).sort());
      expect(sent.every((r) => r.statusCalls === 1)).toBe(true);
      const gen = await stack.db.prisma.generation.findUniqueOrThrow({ where: { id: res.body.images[0].generationId } });
      expect(gen.requestId).toBe(sent.find((r) => r.params.seed === String(res.body.images[0].seed))!.id);
    } finally {
      await Promise.all(stack.sim.instances.map((i) => i.up()));
    }
  });

  test("one angle failing everywhere is reported on that angle; the others complete", async () => {
    await Bun.sleep(600);
    stack.sim.instances[0]!.failNext(1, { message: "CUDA out of memory" });
    horde.faultNext(1);
    const res = await series({ subject: BMW, nonce: "partial", wait: 30 });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("partial");
    expect(res.body.total_generated).toBe(2);
    const failed = res.body.images.filter((i: { status: string }) => i.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toContain("CUDA out of memory");
    expect(failed[0].error).toContain("faulted");
    expect(failed[0].url).toBeUndefined();
    expect(res.body.images.filter((i: { status: string }) => i.status === "completed")).toHaveLength(2);
  });

  test("bad input is refused with a message naming the field, and nothing is written", async () => {
    const before = await stack.db.prisma.series.count();
    const cases: Array<[unknown, string]> = [
      [{ subject: BMW, angles: ["front", "underneath"] }, "angles[1]"],
      [{ subject: { ...BMW, brand: "" } }, "subject.brand"],
      [{ subject: { ...BMW, model: "   " } }, "subject.model"],
      [{ subject: BMW, angles: Array.from({ length: 50 }, () => "front") }, "at most 8"],
      [{ subject: { ...BMW, year: "2020" } }, "subject.year"],
      [{ subject: BMW, angles: ["front", "front"] }, "twice"],
      [{ subject: BMW, angles: [] }, "at least one"],
      [{ angles: ["front"] }, "subject"],
    ];
    for (const [body, mention] of cases) {
      const res = await series(body);
      expect({ mention, status: res.status }).toEqual({ mention, status: 400 });
      expect(res.body.error.message).toContain(mention);
    }
    expect((await series("{not json")).status).toBe(400);
    expect((await stack.request("GET", "/v1/series/0123456789abcdef0123456789abcdef")).status).toBe(404);
    expect(await stack.db.prisma.series.count()).toBe(before);
  });
});
