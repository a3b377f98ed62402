/**
 * Workflow code for the durable-floor baseline (bench/durableFloor.ts): a companion photo's Temporal
 * shape with nothing inside. Deterministic; bundled on its own, apart from darkroom's workflows.
 */
import { proxyActivities, proxyLocalActivities, workflowInfo } from "@temporalio/workflow";

interface FloorActivities {
  /** Does nothing but note when it ran. */
  mark(step: "admitted" | "stored", workflowId: string): Promise<void>;
  /** Stands in for the GPU job, on a queue of its own. */
  gpuJob(): Promise<void>;
}

const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: "20 seconds" });

export async function durableFloor(gpuQueue: string): Promise<void> {
  await local.mark("admitted", workflowInfo().workflowId);
  await proxyActivities<FloorActivities>({ taskQueue: gpuQueue, startToCloseTimeout: "20 seconds" }).gpuJob();
  await local.mark("stored", workflowInfo().workflowId);
}
