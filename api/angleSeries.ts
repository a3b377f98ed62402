/**
 * Angle series: one car, several angles, the same car in each. POST starts (or joins) the
 * series for a subject and nonce; GET reads it. Each angle is also a generation
 * (`GET /v1/generations/:id`, its events, its cancel).
 */
import { Elysia, t } from "elysia";
import { ANGLES, DEFAULT_ANGLES, MAX_ANGLES, type Angle } from "../domain/angles";
import type { SeriesSubject } from "../domain/seriesIdentity";
import { checkedAngles, MAX_WAIT_SECONDS } from "../service/angleSeries";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { HttpError } from "./errors";
import { errors, Int, models } from "./schemas";

const SubjectText = (what: string) => t.String({ minLength: 1, maxLength: 100, pattern: "\\S", description: `${what}; not blank` });

const SeriesBody = t.Object({
  subject: t.Object({
    brand: SubjectText("e.g. BMW"),
    model: SubjectText("e.g. X5"),
    year: Int({ minimum: 1886, maximum: 2100, description: "Model year, a number" }),
    color: SubjectText("e.g. white"),
    bodyType: SubjectText("e.g. SUV"),
  }),
  angles: t.Optional(
    t.Array(t.UnionEnum([...ANGLES] as [Angle, ...Angle[]]), {
      minItems: 1,
      maxItems: MAX_ANGLES,
      uniqueItems: true,
      description: `Default ${DEFAULT_ANGLES.join(", ")}; at most ${MAX_ANGLES}, each once`,
    }),
  ),
  nonce: t.Optional(t.String({ maxLength: 200, description: "Another nonce gives another series (new session and seeds) of the same subject" })),
  consistency: t.Optional(
    t.Union([t.Literal("independent"), t.Literal("reference")], {
      description:
        "independent (default): all angles at once. reference: the main view first, then every other angle starts from its picture (img2img), so all show the same car; takes about one image longer.",
    }),
  ),
  wait: t.Optional(t.Number({ minimum: 0, description: `Seconds to wait for the images (at most ${MAX_WAIT_SECONDS}); 200 when finished in time, else 202` })),
});

export function angleSeriesRoutes(ctx: ApiContext) {
  const { series } = ctx.service;
  return new Elysia({ prefix: "/v1/series", tags: ["Angle series"] })
    .use(models)
    .use(authPlugin(ctx.resolveTenant))
    .post(
      "",
      async ({ body, tenantId, set }) => {
        const angles = checkedAngles(body.subject, body.angles);
        const { series: view, finished } = await series.request({
          tenantId,
          subject: body.subject,
          angles,
          nonce: body.nonce ?? "",
          consistency: body.consistency,
          waitSeconds: body.wait,
        });
        set.status = body.wait !== undefined && finished ? 200 : 202;
        return view;
      },
      {
        body: SeriesBody,
        parse: "json",
        response: { 200: "Series", 202: "Series", ...errors(400, 401, 409, 413, 429, 503) },
        // Runs before validation: Elysia would quietly coerce "2020" to 2020, and a year sent as text
        // is a client bug worth naming.
        transform({ body }) {
          const b = body as { subject?: Record<string, unknown>; angles?: unknown } | undefined;
          const year = b?.subject?.year;
          if (typeof year === "string") {
            throw new HttpError(400, "invalid_request", `subject.year must be a number, not text ("${year.slice(0, 20)}")`, [{ field: "subject.year", problem: "is text" }]);
          }
          // The angle rules the schema also states, checked first for their precise answers
          // (unknown_angle naming angles[i], duplicate_angle, too_many_angles).
          const subject = b?.subject;
          const textSubject = subject && typeof subject === "object" && ["brand", "model", "color", "bodyType"].every((k) => typeof subject[k] === "string");
          const textAngles = b?.angles === undefined || (Array.isArray(b.angles) && b.angles.every((a) => typeof a === "string"));
          if (textSubject && textAngles) checkedAngles(subject as unknown as SeriesSubject, b?.angles as string[] | undefined);
        },
        detail: {
          operationId: "createSeries",
          summary: "Start (or join) a consistent multi-angle series of one car",
          description:
            "The same subject and nonce always give the same sessionId and per-angle seeds. Angles run in parallel across GPU instances; " +
            "one angle's failure is reported on that angle. 202 at once, or 200 with the images when `wait` is given and the series finishes in time. " +
            "Every angle counts against the tenant's daily image quota: 429 `quota_exceeded` (with `details.quota` and `Retry-After` in seconds) when it is used up.",
        },
      },
    )
    .get(
      "/:sessionId",
      ({ params, tenantId }) => series.get(tenantId, params.sessionId),
      {
        params: t.Object({ sessionId: t.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: "Series", ...errors(400, 401, 404) },
        detail: { operationId: "getSeries", summary: "A series: its status and every angle's image, seed, prompt and status" },
      },
    );
}
