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
import { documentedErrors, errors, models, ResumeHeaders, sseResponse } from "./schemas";
import { lastEventId, taskEventStream } from "./sse";

const TaskId = t.Object({ taskId: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) });

export function taskRoutes(ctx: ApiContext, flows: readonly Flow[] = FLOWS) {
  const byName = new Map(flows.map((f) => [f.name, { flow: f, check: TypeCompiler.Compile(f.inputs) }]));
  const known = flows.map((f) => f.name);
  const unknownFlow = (flow: unknown) =>
    new HttpError(400, "unknown_flow", `Unknown flow "${String(flow).slice(0, 100)}"; known flows: ${known.join(", ")}`, { known });
  // One body per flow, so the document (and a generated client) knows each flow's inputs; the
  // handler checks the flow and its inputs itself first, with messages that name the field.
  const TaskBody = t.Union(
    flows.map((f) =>
      t.Object(
        {
          flow: t.Literal(f.name, { description: f.description }),
          // Omitting inputs means {}: optional exactly when the flow requires none.
          inputs: (f.inputs as unknown as { required?: string[] }).required?.length ? f.inputs : t.Optional(f.inputs),
        },
        { title: `${f.name} task` },
      ),
    ) as unknown as [ReturnType<typeof t.Object>, ...ReturnType<typeof t.Object>[]],
  );

  return new Elysia({ tags: ["Tasks"] })
    .use(models)
    .use(authPlugin(ctx.resolveTenant))
    .get(
      "/v1/flows",
      () => ({ flows: flows.map((f) => ({ name: f.name, description: f.description, inputs: f.inputs as unknown as Record<string, unknown> })) }),
      {
        response: { 200: "Flows", ...errors(401) },
        detail: { operationId: "listFlows", summary: "The flow registry: each flow's name, description and input JSON Schema" },
      },
    )
    .post(
      "/v1/tasks",
      async ({ body, tenantId }) => {
        const entry = byName.get(body.flow as string);
        if (!entry) throw unknownFlow(body.flow);
        const inputs = body.inputs ?? {};
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
        body: TaskBody,
        parse: "json",
        // Before validation: an unknown flow, or inputs that do not fit it, are named precisely
        // (the union's own message could only say that no flow matched).
        transform({ body }) {
          const b = body as { flow?: unknown; inputs?: unknown } | undefined;
          if (!b || typeof b !== "object") return;
          const entry = typeof b.flow === "string" ? byName.get(b.flow) : undefined;
          if (!entry) throw unknownFlow(b.flow);
          const inputs = b.inputs ?? {};
          const problems = [...entry.check.Errors(inputs)].slice(0, 10).map((e) => ({
            field: `inputs${e.path.replace(/\//g, ".")}`,
            problem: e.message,
          }));
          if (problems.length > 0) {
            throw new HttpError(400, "invalid_inputs", `Invalid inputs for flow "${entry.flow.name}": ${problems[0]!.field} — ${problems[0]!.problem}`, problems);
          }
        },
        response: { 200: "TaskCreated", ...errors(400, 401, 404, 409, 413, 429, 503) },
        detail: {
          operationId: "createTask",
          summary: "Start a flow; answers { task_id } at once",
          description:
            "Its images count against the daily image quotas (the user's or dialog's and the tenant's): 429 `quota_exceeded` with `details.quota` " +
            "({ scope, limit, used, resetsAt }) and `Retry-After` (seconds until the next UTC midnight) when one is used up; nothing is started.",
        },
      },
    )
    .get("/v1/tasks/:taskId", ({ params, tenantId }) => ctx.service.tasks.state(tenantId, params.taskId), {
      params: TaskId,
      response: { 200: "TaskState", ...errors(400, 401, 404) },
      detail: { operationId: "getTask", summary: "A task's state and details (step results, final result)" },
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
      {
        params: TaskId,
        headers: ResumeHeaders,
        detail: {
          operationId: "streamTaskEvents",
          summary: "SSE: `data: {\"state\": …, \"details\": {…}}` per update; honours Last-Event-ID; ends after SUCCESS or FAILURE",
          responses: {
            "200": sseResponse("One unnamed frame (`id:` and `data:`) per update, the data a TaskState; ends after SUCCESS or FAILURE", { message: "The task's state after this update" }, "TaskState", false),
            ...documentedErrors(400, 401, 404),
          },
        },
      },
    );
}
