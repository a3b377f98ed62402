/**
 * Runs a closed workflow again under the same id, with the input and search attributes of its last
 * run — read from Temporal's own history, so retry works the same for every kind of generation
 * without each flow keeping a copy of how it was started.
 */
import { WorkflowNotFoundError, type Client } from "@temporalio/client";
import { defaultPayloadConverter, type SearchAttributes } from "@temporalio/common";

export async function rerunWorkflow(temporal: Client, workflowId: string): Promise<void> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const workflowType = started?.workflowType?.name;
  const taskQueue = started?.taskQueue?.name;
  if (!started || !workflowType || !taskQueue) throw new Error(`Workflow ${workflowId} has no start event to run again`);
  const args = (started.input?.payloads ?? []).map((payload) => defaultPayloadConverter.fromPayload(payload));
  const searchAttributes: SearchAttributes = {};
  for (const [name, payload] of Object.entries(started.searchAttributes?.indexedFields ?? {})) {
    const value = defaultPayloadConverter.fromPayload(payload) as string | string[];
    searchAttributes[name] = Array.isArray(value) ? value : [value];
  }
  searchAttributes.DarkroomStatus = ["pending"];
  await temporal.workflow.start(workflowType, {
    workflowId,
    taskQueue,
    args,
    workflowIdReusePolicy: "ALLOW_DUPLICATE",
    searchAttributes,
  });
}

/**
 * Waits (briefly) until the workflow's current run has closed. A generation's record turns terminal
 * a moment before its run closes (the run still releases slots and such), and a new run can only
 * reuse the id once the old one is closed. Polls `describe` rather than waiting on the result, which
 * would leave a long poll behind when the wait gives up.
 */
export async function waitUntilClosed(temporal: Client, workflowId: string, timeoutMs = 10_000): Promise<boolean> {
  const handle = temporal.workflow.getHandle(workflowId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await handle.describe()).status.name !== "RUNNING") return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
