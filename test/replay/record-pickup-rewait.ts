/**
 * Records the history of a photo whose GPU job was not picked up in time on an instance still
 * working through its queue, and waited in that queue again (the `pickup-timeout-checks-instance`
 * step of workflows/comfyPlacement.ts) into test/histories/:
 *   bun test/replay/record-pickup-rewait.ts
 */
import { saveHistory } from "./saveHistory";
import { finish, photoReply as reply } from "./recorder";
import { startStack } from "../support/stack";

// One instance, one prompt at a time: quick jobs measure its job time, then slow ones outwait it.
const stack = await startStack({ instances: 1, stepMs: 20, steps: 4, instanceConcurrency: 1, env: { COMFYUI_PICKUP_TIMEOUT_MS: "1000", MAX_CONCURRENT_GENERATIONS: "100" } });
try {
  for (const photo of await Promise.all([1, 2, 3, 4].map((i) => reply(stack, `quick-${i}`)))) await finish(stack, photo.id);
  // The job time placement reads is cached for 5 s: let the measured one replace "not measured yet".
  await Bun.sleep(5500);
  stack.sim.instances[0]!.setStepMs(400);
  const slow = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => reply(stack, `slow-${i}`)));
  for (const photo of slow) await finish(stack, photo.id);
  // One whose pickup timed out and that waited in the queue again.
  const timedOut = [];
  for (const photo of slow) {
    const history = await stack.running.temporal.workflow.getHandle(photo.workflowId).fetchHistory();
    if (history.events?.some((e) => e.activityTaskTimedOutEventAttributes)) timedOut.push(photo);
  }
  if (!timedOut[0]) throw new Error("no pickup timed out; nothing recorded");
  await saveHistory(stack, "companionPhoto-pickup-rewait", timedOut[0].workflowId);
} finally {
  await stack.stop();
  process.exit(0);
}
