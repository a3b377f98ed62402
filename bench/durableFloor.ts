/**
 * The floor under darkroom's orchestration overhead: a workflow with a companion photo's Temporal
 * shape and nothing inside it. A local activity (the admission), an activity on another task queue
 * that a worker of its own polls (the GPU job), then a local activity (storing and completing). Each
 * step only notes the time. It runs on the same Temporal server, with the same SDK and runtime, in
 * this process beside the stack's own workers.
 *
 * Measured like darkroom's overhead: from the start call to the end of the last local activity, one
 * run at a time, each `gapMs` after the one before was seen done. What darkroom adds on top of this
 * is its own work: the database, HTTP to the instance, sharp and storage.
 */
import { fileURLToPath } from "node:url";
import type { Client } from "@temporalio/client";
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from "@temporalio/worker";
import { eventually } from "../test/support/stack";

export async function durableFloorOverheads(client: Client, address: string, count: number, gapMs: number): Promise<number[]> {
  const namespace = client.options.namespace;
  const tag = crypto.randomUUID().slice(0, 8);
  const queue = `bench-floor-${tag}`;
  const gpuQueue = `bench-floor-gpu-${tag}`;
  /** When each run's last step ended (this process's clock, like the start). */
  const stored = new Map<string, number>();
  const connection = await NativeConnection.connect({ address });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL("./durableFloorWorkflow.ts", import.meta.url)),
    // The bundler's warnings and errors only; its progress chatter is dropped.
    logger: new DefaultLogger("WARN"),
  });
  const main = await Worker.create({
    connection,
    namespace,
    taskQueue: queue,
    workflowBundle,
    activities: {
      async mark(step: string, workflowId: string) {
        if (step === "stored") stored.set(workflowId, performance.now());
      },
    },
  });
  // One job at a time, as a GPU worker holds its instance's prompts.
  const gpu = await Worker.create({ connection, namespace, taskQueue: gpuQueue, maxConcurrentActivityTaskExecutions: 1, activities: { async gpuJob() {} } });
  const running = Promise.all([main.run(), gpu.run()]);
  const out: number[] = [];
  try {
    for (let i = -3; i < count; i++) {
      const workflowId = `bench/durable-floor/${tag}/${i}`;
      const started = performance.now();
      await client.workflow.start("durableFloor", { taskQueue: queue, workflowId, args: [gpuQueue] });
      const done = await eventually(async () => stored.get(workflowId), `durable-floor run ${i}`);
      // The first runs warm the bundle's context and the pollers.
      if (i >= 0) out.push(done - started);
      await Bun.sleep(gapMs);
    }
  } finally {
    main.shutdown();
    gpu.shutdown();
    await running;
    await connection.close();
  }
  return out;
}
