import type { Connection } from "@temporalio/client";

/**
 * Whether the Temporal frontend answers, for /readyz. A deadline rather than a race: the client's
 * own retry loop must stop too, or it outlives the request (and the connection).
 */
export async function temporalAnswers(connection: Connection, timeoutMs = 2000): Promise<boolean> {
  await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
  return true;
}
