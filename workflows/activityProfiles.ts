/**
 * How workflows call activities, in one place: which steps run as local activities in the main
 * worker (no server round trip; fine for short, idempotent database work), which go through the
 * server, and the timeouts and retries of each. Workflow code: deterministic.
 */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from "@temporalio/workflow";
import type { GeneralActivities } from "../activities";
import type { ComfyActivities } from "../activities/comfyui/generate";
import { comfyTaskQueue } from "../domain/taskQueues";

/** Short database steps (records, slots, picks): local, quick to give up and retry. */
export const localSteps = proxyLocalActivities<GeneralActivities>({
  startToCloseTimeout: "20 seconds",
  retry: { initialInterval: "100 ms", maximumInterval: "2 seconds", maximumAttempts: 5 },
});

/** Post-processing and storing a picture: local too, with room for seconds of image work. */
export const localImageSteps = proxyLocalActivities<GeneralActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "200 ms", backoffCoefficient: 2, maximumInterval: "10 seconds", maximumAttempts: 10 },
});

/** Steps scheduled through the server on the main queue (kept where a flow's history has them so). */
export const serverSteps = proxyActivities<GeneralActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "200 ms", backoffCoefficient: 2, maximumInterval: "10 seconds", maximumAttempts: 10 },
});

/**
 * The GPU work on one instance's own task queue, polled only by that instance's worker: a job no
 * worker picks up within `pickupTimeoutMs` fails over; a retry after a worker crash re-attaches to
 * the running prompt (heartbeat details), so it is cheap.
 */
export function onInstance(instance: string, t: { pickupTimeoutMs: number; heartbeatTimeoutMs: number; startToCloseMs: number }) {
  return proxyActivities<ComfyActivities>({
    taskQueue: comfyTaskQueue(instance),
    scheduleToStartTimeout: t.pickupTimeoutMs,
    startToCloseTimeout: t.startToCloseMs,
    heartbeatTimeout: t.heartbeatTimeoutMs,
    retry: { initialInterval: "500 ms", maximumInterval: "5 seconds", maximumAttempts: 4 },
  });
}

/** AI Horde: a retry re-attaches to the heartbeated request id, or submits again when it expired. */
export function onHorde(t: { startToCloseMs: number; heartbeatTimeoutMs: number }) {
  return proxyActivities<GeneralActivities>({
    startToCloseTimeout: t.startToCloseMs,
    heartbeatTimeout: t.heartbeatTimeoutMs,
    retry: { initialInterval: "1 second", maximumInterval: "10 seconds", maximumAttempts: 3 },
  });
}

/**
 * The chat's "sending photo…" status while a picture is made: one long activity that heartbeats,
 * cancelled by the workflow when the picture is ready. Four history events however long the GPU
 * takes (a timer loop in the workflow would add events every 4 s). The workflow waits for the
 * cancellation to complete, so no status is sent after the photo; the short heartbeat timeout
 * bounds that wait (the SDK sends heartbeats, and so hears of the cancel, every 0.8 × timeout).
 */
export function chatActionSteps(t: { startToCloseMs: number }) {
  return proxyActivities<GeneralActivities>({
    startToCloseTimeout: t.startToCloseMs,
    heartbeatTimeout: "3 seconds",
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: "1 second", maximumInterval: "5 seconds", maximumAttempts: 3 },
  });
}

/** One delivery channel (Telegram, a webhook), retried on its own schedule. */
export function deliverySteps(retry: { maxAttempts: number; initialRetryMs: number; maxRetryMs: number }) {
  return proxyActivities<GeneralActivities>({
    startToCloseTimeout: "30 seconds",
    // A cancelled flow must not wait for an attempt against a dead receiver to time out.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { initialInterval: retry.initialRetryMs, backoffCoefficient: 2, maximumInterval: retry.maxRetryMs, maximumAttempts: retry.maxAttempts },
  });
}
