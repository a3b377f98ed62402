/**
 * The response shapes of the API, one named schema each, so the OpenAPI document lists them under
 * `components.schemas` and generated clients get real types. They mirror service/views.ts and the
 * service's return values field by field: Elysia validates every answer against them and drops
 * fields they do not name, so a field added to a view must be added here too (the API tests and the
 * schemathesis run in CI fail when the two drift apart).
 */
import { CloneType, Type } from "@sinclair/typebox";
import { Elysia, t } from "elysia";
import { ANGLES } from "../domain/angles";
import { DELIVERY_STATUSES, FINAL_EVENT_TYPES, GENERATION_KINDS, GENERATION_STATUSES, SERIES_STATUSES } from "../domain/generation";

/**
 * A whole number. Elysia's `t.Integer` also accepts numeric strings and is documented as an
 * `anyOf` of a string and an integer, which generated clients turn into a union; TypeBox's own
 * integer (Elysia's peer dependency) validates JSON numbers only and documents `type: integer`.
 */
export const Int = (options: Parameters<typeof Type.Integer>[0] = {}) => Type.Integer(options);

const DateTime = (description?: string) => t.String({ format: "date-time", ...(description ? { description } : {}) });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description?: string) => t.UnionEnum(values, description ? { description } : {});

export const ErrorBody = t.Object(
  {
    error: t.Object({
      code: t.String({ description: "Stable, machine-readable: invalid_request, not_found, already_finished, unknown_flow, …" }),
      message: t.String({ description: "What went wrong, in words a person can act on" }),
      details: t.Optional(t.Unknown({ description: "For validation errors, the fields and their problems" })),
    }),
  },
  { description: "Every error the API answers has this shape" },
);

export const Quota = t.Object(
  {
    scope: t.UnionEnum(["user", "tenant"], { description: "Which daily quota is used up: the user's (or the dialog's) or the whole tenant's" }),
    limit: Int({ description: "Images per UTC day" }),
    used: Int({ description: "Images started today" }),
    resetsAt: DateTime("The next UTC midnight"),
  },
  { description: "A daily image quota that refused a picture" },
);

export const Message = t.Object({
  id: t.String(),
  role: t.Literal("assistant"),
  kind: t.String({ description: "text, waiting, completed, failed, refused (the persona declines a photo the content policy stopped), or quota (the persona's refusal when the daily quota is used up)" }),
  content: t.String(),
  createdAt: t.Optional(DateTime()),
  metadata: t.Optional(t.Unknown({ description: "For completion messages: the image URLs" })),
  quota: t.Optional(Quota),
});

export const GenerationImage = t.Object({
  id: t.String(),
  url: t.String({ description: "Signed URL; needs no bearer header" }),
  thumbnailUrl: t.String(),
  width: Int(),
  height: Int(),
  seed: t.Optional(Int()),
});

/** What an ETA in a generation or a progress event says. */
const ETA_SECONDS =
  "Seconds until the picture is ready for the chat. On ComfyUI: the instance's measured pace (queue included), then its measured time to store and deliver; absent until the instance has run a job of this kind. On AI Horde: Horde's own wait estimate.";

export const Generation = t.Object({
  id: t.String(),
  kind: oneOf(GENERATION_KINDS),
  status: oneOf(GENERATION_STATUSES),
  progress: t.Object({ percent: t.Number({ minimum: 0, maximum: 100 }), step: t.Optional(Int()), of: t.Optional(Int()) }),
  queuePosition: t.Optional(Int({ description: "Place in the user's queue (waiting for a slot) or the instance's" })),
  etaSeconds: t.Optional(t.Number({ description: ETA_SECONDS })),
  description: t.String(),
  agentId: t.Optional(t.String()),
  userId: t.Optional(t.String()),
  regeneratedFrom: t.Optional(t.String({ description: "For a regenerated generation: the one it was made again from (same prompt, persona and template, a new seed)" })),
  images: t.Array(GenerationImage),
  errorMessage: t.Optional(t.String()),
  waitingMessageId: t.Optional(t.String()),
  completedMessageId: t.Optional(t.String()),
  instance: t.Optional(t.String({ description: "The ComfyUI instance that ran it" })),
  workflowId: t.String({ description: "The Temporal workflow id (darkroom/<kind>/<id>)" }),
  createdAt: DateTime(),
  startedAt: t.Optional(DateTime()),
  completedAt: t.Optional(DateTime()),
});

export const Reply = t.Object({
  text: t.String({ description: "The reply without its image tags" }),
  messages: t.Array(Message, {
    description:
      "The reply text (when any) and one waiting message per image (a refusal instead for an image the content policy refused, or the persona's \"no more photos today\", kind quota with `quota`, for one over a daily quota)",
  }),
  generations: t.Array(
    t.Object({
      id: t.String(),
      status: t.UnionEnum(["pending", "refused"], { description: "refused: the content policy stopped it; nothing was started" }),
      description: t.String(),
      workflowId: t.String(),
    }),
  ),
});

export const PendingImages = t.Object({
  pending: t.Array(Generation),
  completed: t.Array(
    t.Composite([Generation, t.Object({ imageUrl: t.Optional(t.String()), completedMessage: t.Optional(Message) })]),
    { description: "Finished in the last 5 minutes" },
  ),
});

export const Regenerated = t.Object({
  generation: Generation,
  messages: t.Array(Message, { description: "The in-character \"let me take another one\" waiting message, in the conversation's language" }),
});

export const Accepted = t.Object({
  id: t.String(),
  status: t.UnionEnum(["cancelling", "pending"], { description: "cancelling after a cancel, pending after a retry" }),
});

export const Deliveries = t.Object({
  deliveries: t.Array(
    t.Object({
      id: t.String(),
      channel: t.String({ description: "telegram or webhook" }),
      target: t.String(),
      status: oneOf(DELIVERY_STATUSES),
      attempts: Int(),
      lastError: t.Nullable(t.String()),
      externalId: t.Nullable(t.String({ description: "Telegram message_id or webhook-id" })),
      deliveredAt: t.Nullable(DateTime()),
    }),
  ),
});

export const SeriesAngle = t.Object({
  angle: oneOf(ANGLES as unknown as [string, ...string[]]),
  seed: Int(),
  sessionId: t.String(),
  isMain: t.Boolean(),
  prompt: t.String(),
  status: oneOf(GENERATION_STATUSES),
  url: t.Optional(t.String()),
  thumbnailUrl: t.Optional(t.String()),
  imageId: t.Optional(t.String()),
  generationId: t.String(),
  provider: t.Optional(t.String()),
  instance: t.Optional(t.String()),
  progress: t.Number({ minimum: 0, maximum: 100 }),
  queuePosition: t.Optional(Int()),
  etaSeconds: t.Optional(t.Number({ description: ETA_SECONDS })),
  error: t.Optional(t.String()),
});

export const Series = t.Object({
  sessionId: t.String(),
  status: oneOf(SERIES_STATUSES),
  subject: t.Unknown({ description: "The subject as requested" }),
  nonce: t.String(),
  images: t.Array(SeriesAngle),
  total_generated: Int(),
  workflowId: t.String(),
  createdAt: DateTime(),
  completedAt: t.Optional(DateTime()),
});

export const Persona = t.Object({
  id: t.String(),
  name: t.String(),
  language: t.String(),
  personality: t.String(),
  style: t.String(),
  appearance: t.String(),
  negativePrompt: t.String(),
  checkpoint: t.String(),
  width: Int(),
  height: Int(),
  workflow: t.Record(t.String(), t.Unknown(), { description: "The ComfyUI API-format graph" }),
  available: t.Boolean({ description: "Whether a healthy instance offers every checkpoint, LoRA and node class its template needs" }),
  unavailableReason: t.Optional(t.String({ description: "What is missing, e.g. the checkpoint file no instance has" })),
});

export const Personas = t.Object({ personas: t.Array(Persona) });

export const DialogMessageResult = t.Object({
  messageCount: Int(),
  imageTriggered: t.Boolean(),
  nextTriggerAt: Int({ description: "The message number that triggers the next picture" }),
  generationId: t.Optional(t.String()),
  messages: t.Optional(t.Array(Message, { description: "When a picture was due but the daily quota is used up: the persona's in-character refusal" })),
  quota: t.Optional(Quota),
});

export const Dialog = t.Object({
  dialogId: t.String(),
  persona: t.String(),
  messageCount: Int(),
  lastImageMessageNo: t.Nullable(Int()),
  lastImageGenerationAt: t.Nullable(DateTime()),
  nextTriggerAt: Int(),
  delivery: t.Object(
    { telegram: t.Optional(t.Object({ chatId: t.String() })), webhook: t.Optional(t.Object({ url: t.String() })) },
    { description: "The dialog's delivery targets" },
  ),
});

export const Flows = t.Object({
  flows: t.Array(
    t.Object({
      name: t.String(),
      description: t.String(),
      inputs: t.Record(t.String(), t.Unknown(), { description: "The flow's input JSON Schema" }),
    }),
  ),
});

export const TaskCreated = t.Object({ task_id: t.String() });

export const TaskState = t.Object({
  state: t.UnionEnum(["PENDING", "PROGRESS", "SUCCESS", "FAILURE"]),
  details: t.Object({
    status: t.String(),
    progress: Int({ minimum: 0, maximum: 100 }),
    step_results: t.Array(t.Unknown()),
    final_result: t.Optional(t.Unknown()),
  }),
});

const Check = t.Object({ ok: t.Boolean(), error: t.Optional(t.String()) });

export const Health = t.Object({ status: t.Literal("ok") });
const SearchAttributesCheck = t.Object({
  ok: t.Boolean(),
  error: t.Optional(t.String()),
  namespace: t.Optional(t.String()),
  missing: t.Optional(t.Array(t.String())),
  wrongType: t.Optional(t.Array(t.Object({ name: t.String(), type: t.String() }))),
  commands: t.Optional(t.Array(t.String(), { description: "What an operator runs to create the missing attributes" })),
});

const PersonasCheck = t.Object({
  ok: t.Boolean({ description: "Always true: an unavailable persona does not make the service unready" }),
  unavailable: t.Array(t.Object({ id: t.String(), reason: t.String() }, { additionalProperties: true })),
});

export const Readiness = t.Object({
  status: t.UnionEnum(["ready", "not_ready"]),
  checks: t.Object({ database: Check, temporal: Check, searchAttributes: SearchAttributesCheck, personas: PersonasCheck }),
});

export const Instances = t.Object({
  instances: t.Array(
    t.Object({
      name: t.String(),
      url: t.String(),
      taskQueue: t.String(),
      concurrency: Int(),
      healthy: t.Boolean(),
      inFlight: Int(),
      queued: Int(),
      vramFreeBytes: t.Optional(t.Number()),
      error: t.Optional(t.String()),
    }),
  ),
});

/** One event of a generation's stream (SSE `data:`, WebSocket message), with its increasing id. */
export const GenerationEvent = t.Object(
  {
    eventId: Int({ description: "Increasing; send the last one seen as Last-Event-ID to resume" }),
    type: t.String({ description: "image:queued, image:progress, image:preview, image:completed, image:failed, image:cancelled, message:new" }),
    generationId: t.Optional(t.String()),
    percent: t.Optional(t.Number()),
    step: t.Optional(Int()),
    of: t.Optional(Int()),
    url: t.Optional(
      t.String({ description: "image:preview: signed URL of the latest live preview (WebP, at most 256 px), usable in a plain <img>" }),
    ),
    width: t.Optional(Int({ description: "image:preview: the preview's width in pixels" })),
    height: t.Optional(Int({ description: "image:preview: the preview's height in pixels" })),
    queuePosition: t.Optional(Int()),
    message: t.Optional(t.Unknown()),
    error: t.Optional(t.String()),
  },
  { additionalProperties: true },
);

/** Where an SSE client left off: the `eventId` of the last event it saw (anything else starts over). */
export const ResumeHeaders = t.Object({
  "last-event-id": t.Optional(t.String({ maxLength: 40, description: "Resume after this eventId (Last-Event-ID)" })),
});

/**
 * Every named schema; `.use(models)` makes them referable by name and lists them in the document.
 * Elysia stamps an `$id` on each registered schema, so copies are registered: the originals stay
 * clean where they are nested in other schemas (an `$id` there is not a valid OpenAPI schema).
 */
const named = {
  Error: ErrorBody,
  Message,
  Generation,
  Reply,
  PendingImages,
  Accepted,
  Regenerated,
  Deliveries,
  Series,
  Personas,
  DialogMessageResult,
  Dialog,
  Flows,
  TaskCreated,
  TaskState,
  Health,
  Readiness,
  Instances,
  GenerationEvent,
};
export const models = new Elysia({ name: "darkroom/models" }).model(
  Object.fromEntries(Object.entries(named).map(([name, schema]) => [name, CloneType(schema)])) as typeof named,
);

/** Error statuses each kind of route can answer, all with the `Error` body. */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, "Error" as const])) as Record<number, "Error">;

/** Routes that need no key say so; the document's default is the bearer key. */
export const PUBLIC = { security: [] as never[] };

/**
 * A `text/event-stream` answer: the schema describes one event (`id`, `event`, `data` holding the
 * JSON payload), and `x-events` names each event with what it means.
 */
export function sseResponse(description: string, events: Record<string, string>, payloadRef: string, named = true) {
  const names = Object.keys(events);
  return {
    description,
    content: {
      "text/event-stream": {
        schema: {
          type: "object" as const,
          required: ["data"],
          properties: {
            id: { type: "string" as const, pattern: "^[0-9]+$", description: "The eventId; send the last one as Last-Event-ID to resume" },
            ...(named ? { event: { type: "string" as const, enum: names } } : {}),
            data: { type: "string" as const, contentMediaType: "application/json", contentSchema: { $ref: `#/components/schemas/${payloadRef}` } },
          },
        },
        "x-events": Object.fromEntries(Object.entries(events).map(([name, what]) => [name, { description: what, payload: { $ref: `#/components/schemas/${payloadRef}` } }])),
      },
    },
  };
}

export const ERROR_REF = { $ref: "#/components/schemas/Error" };
/** Error answers for routes documented by hand (SSE, images), in the document's own words. */
export function documentedErrors(...statuses: number[]) {
  const words: Record<number, string> = {
    400: "Invalid request",
    401: "Missing or unknown API key",
    404: "Not found (another tenant's id reads the same)",
    409: "Conflict with the current state",
    429: "A daily image quota is used up; Retry-After says when it resets",
    410: "Gone",
    503: "A dependency (database, Temporal) is not answering",
  };
  return Object.fromEntries(statuses.map((s) => [String(s), { description: words[s] ?? "Error", content: { "application/json": { schema: ERROR_REF } } }]));
}

export { FINAL_EVENT_TYPES };
