/** Saves a finished workflow's whole history under test/histories/<name>.json, for the replay test. */
import fs from "node:fs";
import path from "node:path";
import { historyToJSON } from "@temporalio/common/lib/proto-utils";
import type { Stack } from "../support/stack";

const OUT = path.resolve(import.meta.dir, "../histories");

export async function saveHistory(stack: Stack, name: string, workflowId: string): Promise<void> {
  const handle = stack.running.temporal.workflow.getHandle(workflowId);
  await handle.result().catch(() => undefined); // the whole run, through its last event
  const history = await handle.fetchHistory();
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, `${name}.json`), historyToJSON(history));
  console.log(`recorded ${name} (${history.events?.length} events)`);
}
