/**
 * The worker for one ComfyUI instance: polls only `comfy.<name>` and keeps at most the instance's
 * concurrency of prompts in flight (ComfyUI runs one at a time and queues the rest). Because only
 * this worker polls the queue, the workflow gives each job a schedule-to-start timeout: if this
 * worker is gone, the job fails over to another instance instead of waiting forever.
 */
import { NativeConnection, Worker } from "@temporalio/worker";
import { createComfyActivities, type ComfyPreview, type ComfyProgress } from "../activities/comfyui/generate";
import type { PreviewOptions } from "../activities/comfyui/preview";
import type { GpuStopGate } from "../activities/comfyui/interrupt";
import type { ComfyInstance } from "../lib/config";
import { comfyTaskQueue } from "../domain/taskQueues";
import { tracingWorkerOptions, type Tracing } from "./tracing";

export async function createGpuWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  instance: ComfyInstance;
  onProgress?: (p: ComfyProgress) => Promise<void> | void;
  /** Live previews; unset turns them off. */
  onPreview?: (p: ComfyPreview) => Promise<void> | void;
  previewOptions?: PreviewOptions;
  /** Keeps a cancelled generation's prompt off the GPU (checked before every submit). */
  stopGate?: GpuStopGate;
  /** The instance finished a generation's prompt: ETAs learn from here how long delivery takes. */
  onFinished?: (generationId: string) => void;
  tracing?: Tracing;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: comfyTaskQueue(opts.instance.name),
    activities: createComfyActivities(opts.instance, {
      onProgress: opts.onProgress,
      onPreview: opts.onPreview,
      previewOptions: opts.previewOptions,
      stopGate: opts.stopGate,
      onFinished: opts.onFinished,
    }),
    maxConcurrentActivityTaskExecutions: opts.instance.concurrency,
    // A short graceful shutdown: on restart, in-flight jobs are re-attached by the next worker.
    shutdownGraceTime: "2 seconds",
    ...(await tracingWorkerOptions(opts.tracing)),
  });
}
