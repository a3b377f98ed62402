/**
 * Records `variations` workflow histories (a task of the flow registry) into test/histories/:
 *   bun test/replay/record-variations.ts
 */
import { saveHistory } from "./saveHistory";
import { eventually, startStack, type Stack } from "../support/stack";


async function runTask(stack: Stack, inputs: Record<string, unknown>): Promise<string> {
  const res = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs });
  if (res.status !== 200 && res.status !== 202) throw new Error(`task not started: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.task_id as string;
  await eventually(async () => {
    const t = (await stack.request("GET", `/v1/tasks/${id}`)).body;
    return t?.state === "SUCCESS" || t?.state === "FAILURE" ? t : undefined;
  }, `task ${id}`);
  return `darkroom/variations/${id}`;
}

const save = saveHistory;

const stack = await startStack({ instances: 2, stepMs: 10, steps: 3 });
try {
  await save(stack, "variations-completed", await runTask(stack, { prompt: "a lighthouse at dusk", count: 3, width: 256, height: 256 }));
  stack.sim.instances.forEach((i) => i.failNext(1, { message: "CUDA out of memory" }));
  await save(stack, "variations-failed", await runTask(stack, { prompt: "a broken lighthouse", count: 2, width: 256, height: 256 }));
} finally {
  await stack.stop();
  process.exit(0);
}
