/**
 * Records the histories of regenerated generations ("take another one": the seed, the recorded
 * prompt and the link to the original in the workflow input) into test/histories/:
 *   bun test/replay/record-regenerated.ts
 */
import { saveHistory } from "./saveHistory";
import { finish, photoReply } from "./recorder";
import { startStack, type Stack } from "../support/stack";

async function again(stack: Stack, id: string) {
  const res = await stack.request("POST", `/v1/generations/${id}/regenerate`);
  if (res.status !== 201) throw new Error(`regenerate refused: ${res.status} ${JSON.stringify(res.body)}`);
  await finish(stack, res.body.generation.id);
  return res.body.generation as { id: string; workflowId: string };
}

const stack = await startStack({ instances: 2, stepMs: 20, steps: 4, env: { DIALOG_IMAGE_EVERY: "1" } });
try {
  const photo = await photoReply(stack, "r-again");
  await finish(stack, photo.id);
  await saveHistory(stack, "companionPhoto-regenerated", (await again(stack, photo.id)).workflowId);

  const posted = await stack.request("POST", "/v1/dialogs/replay-again/messages", { role: "user", persona: "LINA", text: "send me the sunset" });
  await finish(stack, posted.body.generationId);
  await saveHistory(stack, "chatImage-regenerated", (await again(stack, posted.body.generationId)).workflowId);
} finally {
  await stack.stop();
  process.exit(0);
}
