/**
 * A generation's life as operators touch it: which states are final, and what "run it again"
 * resets. The API's retry and an operator's reset in the Temporal Web UI reopen a record the same
 * way, so both end in exactly one completion message.
 */

export const TERMINAL_STATUSES = ["completed", "failed", "cancelled"] as const;
/** Final states a new run may start over from; a completed generation is never made again. */
export const REOPENABLE_STATUSES = ["failed", "cancelled"] as const;
/** The events that close a generation's stream; each carries the id of the workflow run that wrote it. */
export const TERMINAL_EVENT_TYPES = ["image:completed", "image:failed", "image:cancelled"] as const;


/** The fields a new run starts from: back to pending, no outcome, no slot, no progress. */
export function reopenedGeneration() {
  return {
    status: "pending",
    errorMessage: null,
    completedMessageId: null,
    completedAt: null,
    startedAt: null,
    slotClaimedAt: null,
    slotReleasedAt: null,
    queuePosition: null,
    etaSeconds: null,
    progressPercent: 0,
    progressStep: null,
    progressOf: null,
    instance: null,
    requestId: null,
  };
}
