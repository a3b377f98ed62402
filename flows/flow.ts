/**
 * A flow of the task API: one declaration gives its name, what it does, its input schema (Elysia
 * `t.*`, i.e. TypeBox/JSON Schema) and how to start it. The same schema validates POST /v1/tasks,
 * documents it in OpenAPI and is listed by GET /v1/flows. Write integers as
 * `t.Number({ multipleOf: 1 })`: Elysia's `t.Integer` also accepts numeric strings, which is right
 * for query strings but not for JSON inputs, and lists as an `anyOf` instead of plain JSON Schema.
 */
import type { Static, TSchema } from "elysia";
import type { GenerationService } from "../service";

export interface FlowStart<S extends TSchema> {
  tenantId: string;
  inputs: Static<S>;
}

export interface Flow<S extends TSchema = TSchema> {
  name: string;
  description: string;
  inputs: S;
  /** Starts the work and returns the task id (the id of the generation whose events tell the story). */
  start(service: GenerationService, request: FlowStart<S>): Promise<{ taskId: string }>;
}

export const defineFlow = <S extends TSchema>(flow: Flow<S>): Flow<S> => flow;

/** A check the schema cannot express, failed: the API answers 400 naming the field. */
export class FlowInputInvalid extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`inputs.${field} ${problem}`);
  }
}
