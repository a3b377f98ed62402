/**
 * Records workflow histories from real runs (dev server, PostgreSQL, simulator) into test/histories/,
 * where the replay test keeps every committed version of the workflow code honest. Run it after a
 * deliberate, `patched()`-guarded change to add the new shape of history:
 *   bun test/replay/record.ts [name prefix]
 * The prefix (default `companionPhoto`) keeps the histories of earlier code: e.g.
 * `companionPhoto-fewer-local-steps` records the shape after that `patched` step.
 */
import { saveHistory } from "./saveHistory";
import { finish, photoReply as reply } from "./recorder";
import { eventually, startStack, type Stack } from "../support/stack";

const prefix = process.argv[2] ?? "companionPhoto";
const save = (stack: Stack, name: string, workflowId: string) => saveHistory(stack, name.replace(/^companionPhoto/, prefix), workflowId);

const stack = await startStack({ instances: 2, stepMs: 20, steps: 4, env: { MAX_CONCURRENT_GENERATIONS: "1" } });
try {
  const ok = await reply(stack, "r1", "¡Dale! [IMAGE: selfie en la playa]");
  await finish(stack, ok.id);
  await save(stack, "companionPhoto-completed", ok.workflowId);

  stack.sim.instances.forEach((i) => i.failNext(1, { message: "CUDA out of memory" }));
  const bad = await reply(stack, "r2", "[IMAGE: a broken photo]");
  await finish(stack, bad.id);
  await save(stack, "companionPhoto-failed", bad.workflowId);

  // Two for one user with a limit of one: the second waits for the slot.
  const first = await reply(stack, "r3", "[IMAGE: first in line]");
  const second = await reply(stack, "r3", "[IMAGE: second in line]");
  await finish(stack, first.id);
  await finish(stack, second.id);
  await save(stack, "companionPhoto-queued", second.workflowId);

  stack.sim.instances.forEach((i) => i.setStepMs(300));
  const cancelled = await reply(stack, "r4", "[IMAGE: never mind]");
  await eventually(async () => ((await stack.request("GET", `/v1/generations/${cancelled.id}`)).body.status === "generating" ? true : undefined), "start");
  await stack.request("POST", `/v1/generations/${cancelled.id}/cancel`);
  await finish(stack, cancelled.id);
  await save(stack, "companionPhoto-cancelled", cancelled.workflowId);
} finally {
  await stack.stop();
  process.exit(0);
}
