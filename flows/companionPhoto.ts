/** The companion photo as a task: an in-character waiting message now, the picture later. */
import { t } from "elysia";
import { chooseLanguage } from "../lib/language";
import { defineFlow } from "./flow";

const Id = (what: string) => t.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._:@-]+$", description: what });

export const companionPhotoFlow = defineFlow({
  name: "companion_photo",
  description: "A photo of an agent's persona for a chat: an in-character waiting message at once, then the image with a completion message.",
  inputs: t.Object({
    agentId: Id("The agent (character) id in your product"),
    userId: Id("The end user the agent is talking to"),
    description: t.String({ minLength: 1, maxLength: 2000, description: "What the photo shows, e.g. 'selfie at the beach at sunset'" }),
    persona: t.Optional(
      t.Object({
        name: t.String({ minLength: 1, maxLength: 100 }),
        personality: t.String({ maxLength: 2000 }),
        language: t.Optional(t.String({ minLength: 2, maxLength: 20 })),
      }),
    ),
    conversationId: t.Optional(Id("Your conversation id, echoed on messages")),
  }),
  async start(service, { tenantId, inputs }) {
    const generationId = crypto.randomUUID();
    const persona = inputs.persona ?? { name: inputs.agentId, personality: "" };
    await service.companionPhotos.start({
      generationId,
      tenantId,
      agentId: inputs.agentId,
      userId: inputs.userId,
      conversationId: inputs.conversationId,
      description: inputs.description,
      persona,
      // Declared, else what the description is written in, else English (this input names no persona file).
      language: chooseLanguage({ declared: persona.language, text: inputs.description }),
    });
    return { taskId: generationId };
  },
});
