/**
 * The main worker: runs every workflow and the general activities (database, LLM, imaging, storage)
 * on the `darkroom` task queue. GPU work runs elsewhere, on each instance's own queue (workers/gpu.ts).
 */
import { createRequire } from "node:module";
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from "@temporalio/worker";
import type { GeneralActivities } from "../activities";
import { log } from "../lib/log";
import { tracingWorkerOptions, type Tracing } from "./tracing";

const require = createRequire(import.meta.url);
const bundles = new Map<boolean, Promise<WorkflowBundle>>();

/**
 * Bundling takes seconds; one bundle serves every worker in the process. With tracing, the bundle
 * also holds OpenTelemetry's workflow interceptors (replay-safe: they only add spans, sent out
 * through a sink, and never change the commands a workflow issues).
 */
export function workflowBundle(opts: { tracing?: boolean } = {}): Promise<WorkflowBundle> {
  const tracing = opts.tracing ?? false;
  let bundle = bundles.get(tracing);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: require.resolve("../workflows"),
      workflowInterceptorModules: tracing ? [require.resolve("@temporalio/interceptors-opentelemetry/lib/workflow-interceptors")] : [],
      logger: quietBundlerLogger,
    });
    bundles.set(tracing, bundle);
  }
  return bundle;
}

const quietBundlerLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    log().warn({ sdkComponent: "bundler" }, message);
  },
  error(message: string) {
    log().error({ sdkComponent: "bundler" }, message);
  },
};

export async function createMainWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: GeneralActivities;
  maxCachedWorkflows: number;
  tracing?: Tracing;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle({ tracing: Boolean(opts.tracing) }),
    activities: opts.activities,
    maxConcurrentActivityTaskExecutions: 50,
    // A bounded cache: thousands of photos waiting for a GPU would otherwise each stay in memory.
    maxCachedWorkflows: opts.maxCachedWorkflows,
    maxConcurrentLocalActivityExecutions: 50,
    // On SIGTERM: stop polling, let running steps (storing a picture, a delivery) finish; whatever
    // is cut off is retried by the next worker, idempotently.
    shutdownGraceTime: "10 seconds",
    ...(await tracingWorkerOptions(opts.tracing)),
  });
}
