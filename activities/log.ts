/**
 * The logger for code that runs inside an activity: the process's logger with the ids of the
 * workflow the activity serves (`workflowId`, `generationId`), the activity's type and, on a GPU
 * worker's queue, the ComfyUI `instance`. Outside an activity (the API composing a waiting message)
 * it is the process's logger as it is.
 */
import { Context } from "@temporalio/activity";
import { generationIdOf, log, type Logger } from "../lib/log";

export function activityLog(fields: Record<string, unknown> = {}): Logger {
  let info: Context["info"] | undefined;
  try {
    info = Context.current().info;
  } catch {
    return Object.keys(fields).length ? log().child(fields) : log();
  }
  const workflowId = info.workflowExecution?.workflowId;
  const instance = /^comfy\.(.+)$/.exec(info.taskQueue)?.[1];
  return log().child({
    workflowId,
    generationId: generationIdOf(workflowId),
    activityType: info.activityType,
    attempt: info.attempt,
    ...(instance ? { instance } : {}),
    ...fields,
  });
}
