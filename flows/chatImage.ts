/**
 * The chat-triggered persona image as a task: the input is one dialog message; every
 * few messages (the dialog's drawn cadence) it triggers a picture, and that picture is the task.
 * A message that triggers none is answered 409 `no_image` with the message number that will.
 */
import { t } from "elysia";
import { QuotaExceeded, ServiceRefusal } from "../service";
import { defineFlow, FlowInputInvalid } from "./flow";

export const chatImageFlow = defineFlow({
  name: "chat_image",
  description: "Posts one message of a persona dialog; when the dialog's cadence says so, a persona picture is made from the conversation (delivery targets as set on POST /v1/dialogs/:dialogId/messages).",
  inputs: t.Object({
    dialogId: t.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._:@-]+$" }),
    persona: t.String({ minLength: 1, maxLength: 64, description: "A persona id from GET /v1/personas" }),
    role: t.Optional(t.Union([t.Literal("user"), t.Literal("assistant")], { default: "user" })),
    text: t.String({ minLength: 1, maxLength: 20_000 }),
  }),
  async start(service, { tenantId, inputs }) {
    const posted = await service.dialogs
      .post({ tenantId, dialogId: inputs.dialogId, role: inputs.role ?? "user", text: inputs.text, persona: inputs.persona })
      .catch((err: unknown) => {
        if (err instanceof ServiceRefusal && err.code === "unknown_persona") throw new FlowInputInvalid("persona", `— ${err.message}`);
        throw err;
      });
    if (posted.quota) {
      // As a task the picture is the whole point: a used-up quota is a 429 with Retry-After.
      throw new QuotaExceeded(posted.quota, Math.max(1, Math.ceil((Date.parse(posted.quota.resetsAt) - Date.now()) / 1000)));
    }
    if (!posted.generationId) {
      throw new ServiceRefusal("conflict", "no_image", `Message ${posted.messageCount} of dialog "${inputs.dialogId}" triggers no image; message ${posted.nextTriggerAt} will`, {
        messageCount: posted.messageCount,
        nextTriggerAt: posted.nextTriggerAt,
      });
    }
    return { taskId: posted.generationId };
  },
});
