/**
 * The main worker: runs every workflow and the general activities (database, LLM, imaging, storage)
 * on the `darkroom` task queue. GPU work runs elsewhere, on each instance's own queue (workers/gpu.ts).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { NativeConnection, Worker, type WorkflowBundle } from "@temporalio/worker";
import type { GeneralActivities } from "../activities";
import { log } from "../lib/log";
import { tracingWorkerOptions, type Tracing } from "./tracing";

const bundles = new Map<boolean, Promise<WorkflowBundle>>();

/**
 * Bundling takes seconds; one bundle serves every worker in the process. It is made in a child
 * process (workers/bundleWorkflows.ts), which takes the bundler's memory with it when it exits. With
 * tracing, the bundle also holds OpenTelemetry's workflow interceptors (replay-safe: they only add
 * spans, sent out through a sink, and never change the commands a workflow issues).
 */
export function workflowBundle(opts: { tracing?: boolean } = {}): Promise<WorkflowBundle> {
  const tracing = opts.tracing ?? false;
  let bundle = bundles.get(tracing);
  if (!bundle) {
    bundle = bundleInChildProcess(tracing);
    // A failed bundling is not kept: the next worker tries again.
    bundle.catch(() => bundles.delete(tracing));
    bundles.set(tracing, bundle);
  }
  return bundle;
}

function bundleInChildProcess(tracing: boolean): Promise<WorkflowBundle> {
  const script = fileURLToPath(new URL("./bundleWorkflows.ts", import.meta.url));
  // The same runtime and loader flags as this process (Bun, or Node with tsx).
  const child = spawn(process.execPath, [...process.execArgv, script, ...(tracing ? ["--tracing"] : [])], { stdio: ["ignore", "pipe", "pipe"] });
  const code: Buffer[] = [];
  let errors = "";
  child.stdout.on("data", (chunk: Buffer) => code.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (status) => {
      for (const line of errors.split("\n").filter(Boolean)) log().warn({ sdkComponent: "bundler" }, line);
      if (status === 0) resolve({ code: Buffer.concat(code).toString("utf8") });
      else reject(new Error(`Bundling the workflow code failed (exit ${status}): ${errors.trim().slice(-2000)}`));
    });
  });
}

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
