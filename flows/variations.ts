/**
 * Variations: N pictures of one prompt with different seeds — the prompt given, or taken from a
 * stored generation (`sourceGenerationId`). Runs the `variations` workflow; each variation is a
 * step of the task with its share of the progress bar.
 */
import { t } from "elysia";
import { defineFlow } from "./flow";

export const variationsFlow = defineFlow({
  name: "variations",
  description: "N variations of a prompt, or of a stored generation's prompt, each with its own seed.",
  inputs: t.Object({
    prompt: t.Optional(t.String({ minLength: 1, maxLength: 2000, description: "What to draw; or give sourceGenerationId" })),
    sourceGenerationId: t.Optional(t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$", description: "A stored generation whose prompt and size to vary" })),
    count: t.Optional(t.Number({ multipleOf: 1, minimum: 1, maximum: 8, default: 4, description: "How many variations (default 4)" })),
    width: t.Optional(t.Number({ minimum: 64, maximum: 2048, multipleOf: 8 })),
    height: t.Optional(t.Number({ minimum: 64, maximum: 2048, multipleOf: 8 })),
    persona: t.Optional(
      t.String({
        minLength: 1,
        maxLength: 64,
        pattern: "^[A-Za-z0-9_-]+$",
        description: "A persona file's id (GET /v1/personas): its template, size and identity (reference picture, LoRA). A source generation's persona is used when this is not given.",
      }),
    ),
  },
  // Documents what startVariations checks (exactly one source), so generated requests are valid;
  // TypeBox ignores the keyword, the service gives the error that names the field.
  { oneOf: [{ required: ["prompt"], not: { required: ["sourceGenerationId"] } }, { required: ["sourceGenerationId"], not: { required: ["prompt"] } }] },
  ),
  start: (service, { tenantId, inputs }) => service.tasks.startVariations({ tenantId, ...inputs }),
});
