/**
 * Records angle-series histories (the series workflow and its per-angle children) from real runs
 * into test/histories/, for test/replay.test.ts:
 *   bun test/replay/record-angleSeries.ts
 */
import { saveHistory } from "./saveHistory";
import { startHordeSimulator } from "../../simulators/horde";
import { eventually, startStack, type Stack } from "../support/stack";

const BMW = { brand: "BMW", model: "X5", year: 2020, color: "white", bodyType: "SUV" };

const save = saveHistory;

async function run(stack: Stack, nonce: string, angles: string[], extra: Record<string, unknown> = {}) {
  const res = await stack.request("POST", "/v1/series", { subject: BMW, nonce, angles, ...extra });
  if (res.status !== 202) throw new Error(`series not started: ${res.status} ${JSON.stringify(res.body)}`);
  const sessionId = res.body.sessionId as string;
  return eventually(async () => {
    const s = (await stack.request("GET", `/v1/series/${sessionId}`)).body;
    return ["completed", "partial", "failed", "cancelled"].includes(s?.status) ? s : undefined;
  }, `series ${sessionId}`);
}

class Done extends Error {}

const horde = await startHordeSimulator({ jobMs: 50 });
const stack = await startStack({ instances: 3, stepMs: 20, steps: 4, env: { AI_HORDE_URL: horde.url, AI_HORDE_POLL_MS: "30" } });
// `bun test/replay/record-angleSeries.ts reference` records only the reference-consistency case.
const only = process.argv[2];
try {
  if (!only || only === "reference") {
    const ref = await run(stack, "replay-reference", ["front", "side", "rear"], { consistency: "reference" });
    await save(stack, "angleSeries-reference", ref.workflowId);
    await save(stack, "angleSeries-reference-side", `${ref.workflowId}/side`);
  }
  if (only) throw new Done();
  const ok = await run(stack, "replay-completed", ["front", "side", "rear"]);
  await save(stack, "angleSeries-completed", ok.workflowId);
  await save(stack, "angleSeries-completed-front", `${ok.workflowId}/front`);

  // One angle fails on ComfyUI and on the Horde: that angle is failed, the series partial.
  stack.sim.instances.forEach((i) => i.failNext(1, { message: "CUDA out of memory" }));
  horde.faultNext(1);
  const partial = await run(stack, "replay-partial", ["front", "side"]);
  await save(stack, "angleSeries-partial", partial.workflowId);
  const failed = partial.images.find((i: { status: string }) => i.status === "failed");
  await save(stack, "angleSeries-partial-failed-angle", `${partial.workflowId}/${failed.angle}`);

  // No ComfyUI instance healthy: the AI Horde serves.
  await Promise.all(stack.sim.instances.map((i) => i.down()));
  await Bun.sleep(600);
  const fallback = await run(stack, "replay-horde", ["side"]);
  await save(stack, "angleSeries-horde-angle", `${fallback.workflowId}/side`);
} catch (err) {
  if (!(err instanceof Done)) throw err;
} finally {
  await stack.stop();
  await horde.stop();
  process.exit(0);
}
