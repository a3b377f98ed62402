/**
 * The task API: GET /v1/flows lists the flow registry; POST /v1/tasks starts a flow and
 * answers `{ task_id }`; a task's state is `{ state, details }`, and its events stream as SSE in
 * the task wire format (`data: {"state": …, "details": {…}}`). A task is a generation: the task id is the generation id.
 */
import { Elysia, t } from "elysia";
import { TypeCompiler } from "elysia/type-system";
import { FLOWS } from "../flows";
import { FlowInputInvalid, type Flow } from "../flows/flow";
import { ServiceRefusal } from "../service";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { HttpError } from "./errors";
import { lastEventId, taskEventStream } from "./sse";

const TaskId = t.Object({ taskId: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) });

const TaskState = t.Object({
  state: t.Union([t.Literal("PENDING"), t.Literal("PROGRESS"), t.Literal("SUCCESS"), t.Literal("FAILURE")]),
  details: t.Object({
    status: t.String(),
    progress: t.Integer({ minimum: 0, maximum: 100 }),
    step_results: t.Array(t.Unknown()),
    final_result: t.Optional(t.Unknown()),
  }),
});

export function taskRoutes(ctx: ApiContext, flows: readonly Flow[] = FLOWS) {
  const byName = new Map(flows.map((f) => [f.name, { flow: f, check: TypeCompiler.Compile(f.inputs) }]));
  const known = flows.map((f) => f.name);

  return new Elysia({ tags: ["Tasks"] })
    .use(authPlugin(ctx.resolveTenant))
    .get(
      "/v1/flows",
      () => ({ flows: flows.map((f) => ({ name: f.name, description: f.description, inputs: f.inputs })) }),
      { detail: { summary: "The flow registry: each flow's name, description and input JSON Schema" } },
    )
    .post(
      "/v1/tasks",
      async ({ body, tenantId }) => {
        const entry = byName.get(body.flow);
        if (!entry) throw new HttpError(400, "unknown_flow", `Unknown flow "${body.flow}"; known flows: ${known.join(", ")}`, { known });
        const inputs = body.inputs ?? {};
        const problems = [...entry.check.Errors(inputs)].slice(0, 10).map((e) => ({
          field: `inputs${e.path.replace(/\//g, ".")}`,
          problem: e.message,
        }));
        if (problems.length > 0) {
          throw new HttpError(400, "invalid_inputs", `Invalid inputs for flow "${body.flow}": ${problems[0]!.field} — ${problems[0]!.problem}`, problems);
        }
        try {
          const { taskId } = await entry.flow.start(ctx.service, { tenantId, inputs: inputs as never });
          return { task_id: taskId };
        } catch (err) {
          if (err instanceof FlowInputInvalid) {
            throw new HttpError(400, "invalid_inputs", `Invalid inputs for flow "${body.flow}": ${err.message}`, [{ field: `inputs.${err.field}`, problem: err.message }]);
          }
          if (err instanceof ServiceRefusal && err.reason === "invalid") {
            throw new HttpError(400, "invalid_inputs", `Invalid inputs for flow "${body.flow}": ${err.message}`, err.details);
          }
          if (err instanceof ServiceRefusal) throw err;
          throw new HttpError(503, "orchestrator_unavailable", `Could not start the task: ${(err as Error).message}`);
        }
      },
      {
        body: t.Object({
          flow: t.String({ minLength: 1, maxLength: 100, description: `One of: ${known.join(", ")} (GET /v1/flows)` }),
          inputs: t.Optional(t.Record(t.String(), t.Unknown(), { description: "The flow's inputs (its schema in GET /v1/flows)" })),
        }),
        response: { 200: t.Object({ task_id: t.String() }) },
        detail: {
          summary: "Start a flow; answers { task_id } at once",
          // The request body per flow, from the same declarations that validate it.
          requestBody: {
            content: {
              "application/json": {
                schema: { oneOf: flows.map((f) => ({ type: "object", required: ["flow"], properties: { flow: { const: f.name }, inputs: f.inputs } })) },
              },
            },
          },
        },
      },
    )
    .get("/v1/tasks/:taskId", ({ params, tenantId }) => ctx.service.tasks.state(tenantId, params.taskId), {
      params: TaskId,
      response: { 200: TaskState },
      detail: { summary: "A task's state and details (step results, final result)" },
    })
    .get(
      "/v1/tasks/:taskId/events",
      async ({ params, tenantId, headers, request }) => {
        await ctx.service.generations.assertExists(tenantId, params.taskId, "Task");
        return taskEventStream({
          hub: ctx.liveEvents,
          tenantId,
          generationId: params.taskId,
          afterId: lastEventId(headers["last-event-id"]),
          signal: request.signal,
        });
      },
      { params: TaskId, detail: { summary: "SSE: `data: {\"state\": …, \"details\": {…}}` per update; honours Last-Event-ID; ends after SUCCESS or FAILURE" } },
    );
}
