/**
 * The main worker: runs every workflow and the general activities (database, LLM, imaging, storage)
 * on the `darkroom` task queue. GPU work runs elsewhere, on each instance's own queue (workers/gpu.ts).
 */
import { createRequire } from "node:module";
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from "@temporalio/worker";
import type { GeneralActivities } from "../activities";

const require = createRequire(import.meta.url);
let bundle: Promise<WorkflowBundle> | undefined;

/** Bundling takes seconds; one bundle serves every worker in the process. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve("../workflows"), logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    console.warn(message);
  },
  error(message: string) {
    console.error(message);
  },
};

export async function createMainWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: GeneralActivities;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: opts.activities,
    maxConcurrentActivityTaskExecutions: 50,
    maxConcurrentLocalActivityExecutions: 50,
    // On SIGTERM: stop polling, let running steps (storing a picture, a delivery) finish; whatever
    // is cut off is retried by the next worker, idempotently.
    shutdownGraceTime: "10 seconds",
  });
}
