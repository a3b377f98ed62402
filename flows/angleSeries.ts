/**
 * The angle series as a task: one car, several angles, the same car in each. The task
 * follows the main view (the first angle); every angle is also its own generation.
 */
import { t } from "elysia";
import { ANGLES, DEFAULT_ANGLES, MAX_ANGLES } from "../domain/angles";
import { angleSeriesInput } from "../service/angleSeries";
import { defineFlow } from "./flow";

const SubjectText = (what: string) => t.String({ minLength: 1, maxLength: 100, pattern: "\\S", description: what });

export const angleSeriesFlow = defineFlow({
  name: "angle_series",
  description: "One car from several angles with the same identity in each (the task follows the main view, the first angle).",
  inputs: t.Object({
    subject: t.Object({
      brand: SubjectText("e.g. BMW"),
      model: SubjectText("e.g. X5"),
      year: t.Number({ multipleOf: 1, minimum: 1886, maximum: 2100 }),
      color: SubjectText("e.g. white"),
      bodyType: SubjectText("e.g. SUV"),
    }),
    angles: t.Optional(
      t.Array(t.Union(ANGLES.map((a) => t.Literal(a))), { minItems: 1, maxItems: MAX_ANGLES, uniqueItems: true, description: `Default ${DEFAULT_ANGLES.join(", ")}` }),
    ),
    nonce: t.Optional(t.String({ maxLength: 200, description: "Another nonce gives another series of the same subject" })),
  }),
  async start(service, { tenantId, inputs }) {
    const input = angleSeriesInput(service.config, { tenantId, subject: inputs.subject, angles: inputs.angles ?? DEFAULT_ANGLES, nonce: inputs.nonce ?? "" });
    await service.series.start(input);
    return { taskId: input.angles[0]!.generationId };
  },
});
