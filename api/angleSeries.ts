/**
 * Angle series (seed 001): one car, several angles, the same car in each. POST starts (or joins) the
 * series for a subject and nonce; GET reads it. Each angle is also a generation
 * (`GET /v1/generations/:id`, its events, its cancel).
 */
import { Elysia, t } from "elysia";
import { angleSeriesInput, seriesWorkflowId, startAngleSeries } from "../service/angleSeries";
import { ANGLES, DEFAULT_ANGLES, isAngle, MAX_ANGLES, type Angle } from "../domain/angles";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { HttpError, notFound } from "./errors";

/** The longest a POST holds the connection for `wait`; longer series answer 202 and are polled. */
export const MAX_WAIT_SECONDS = 60;
const FINISHED = new Set(["completed", "partial", "failed", "cancelled"]);

const SubjectText = (what: string) => t.String({ minLength: 1, maxLength: 100, description: what });

const SeriesBody = t.Object({
  subject: t.Object({
    brand: SubjectText("e.g. BMW"),
    model: SubjectText("e.g. X5"),
    year: t.Integer({ minimum: 1886, maximum: 2100, description: "Model year, a number" }),
    color: SubjectText("e.g. white"),
    bodyType: SubjectText("e.g. SUV"),
  }),
  angles: t.Optional(t.Array(t.String({ maxLength: 40 }), { maxItems: 100, description: `Default ${DEFAULT_ANGLES.join(", ")}; at most ${MAX_ANGLES}, from: ${ANGLES.join(", ")}` })),
  nonce: t.Optional(t.String({ maxLength: 200, description: "Another nonce gives another series (new session and seeds) of the same subject" })),
  consistency: t.Optional(
    t.Union([t.Literal("independent"), t.Literal("reference")], {
      description:
        "independent (default): all angles at once. reference: the main view first, then every other angle starts from its picture (img2img), so all show the same car; takes about one image longer.",
    }),
  ),
  wait: t.Optional(t.Number({ minimum: 0, description: `Seconds to wait for the images (at most ${MAX_WAIT_SECONDS}); 200 when finished in time, else 202` })),
});

type SeriesBodyValue = (typeof SeriesBody)["static"];

/** Checks the schema cannot express, each naming the field. */
function checkedAngles(body: SeriesBodyValue): Angle[] {
  for (const field of ["brand", "model", "color", "bodyType"] as const) {
    if (!body.subject[field].trim()) throw new HttpError(400, "invalid_request", `subject.${field} must not be empty`, [{ field: `subject.${field}`, problem: "is blank" }]);
  }
  const angles = body.angles ?? DEFAULT_ANGLES;
  if (angles.length === 0) throw new HttpError(400, "invalid_request", "angles must name at least one angle", [{ field: "angles", problem: "is empty" }]);
  if (angles.length > MAX_ANGLES) {
    throw new HttpError(400, "too_many_angles", `angles may name at most ${MAX_ANGLES} angles; got ${angles.length}`, [{ field: "angles", problem: `more than ${MAX_ANGLES}` }]);
  }
  const seen = new Set<string>();
  for (const [i, angle] of angles.entries()) {
    if (!isAngle(angle)) {
      throw new HttpError(400, "unknown_angle", `angles[${i}] "${angle}" is not a known angle (known: ${ANGLES.join(", ")})`, [{ field: `angles.${i}`, problem: "unknown angle" }]);
    }
    if (seen.has(angle)) throw new HttpError(400, "duplicate_angle", `angles[${i}] "${angle}" is listed twice`, [{ field: `angles.${i}`, problem: "duplicate" }]);
    seen.add(angle);
  }
  return angles as Angle[];
}

export function angleSeriesRoutes(ctx: ApiContext) {
  async function seriesView(tenantId: string, sessionId: string) {
    const series = await ctx.prisma.series.findUnique({ where: { tenantId_sessionId: { tenantId, sessionId } } });
    if (!series) return undefined;
    const generations = await ctx.prisma.generation.findMany({
      where: { tenantId, seriesId: sessionId },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      include: { images: { orderBy: { outputIndex: "asc" } } },
    });
    const images = generations.map((g) => {
      const image = g.images[0];
      return {
        angle: g.angle!,
        seed: Number(g.seed),
        sessionId,
        isMain: g.isMain,
        prompt: g.prompt ?? "",
        status: g.status,
        ...(image ? { url: ctx.signer.imageUrl(image.id), thumbnailUrl: ctx.signer.imageUrl(image.id, "thumb"), imageId: image.id } : {}),
        generationId: g.id,
        provider: g.provider ?? undefined,
        instance: g.instance ?? undefined,
        progress: g.progressPercent,
        queuePosition: g.queuePosition ?? undefined,
        etaSeconds: g.etaSeconds ?? undefined,
        error: g.errorMessage ?? undefined,
      };
    });
    const running = generations.some((g) => g.status === "generating" || g.status === "completed");
    return {
      sessionId,
      status: FINISHED.has(series.status) ? series.status : running ? "generating" : "pending",
      subject: series.subject,
      nonce: series.nonce,
      images,
      total_generated: images.filter((i) => i.url).length,
      workflowId: series.workflowId,
      createdAt: series.createdAt.toISOString(),
      completedAt: series.completedAt?.toISOString(),
    };
  }

  return new Elysia({ prefix: "/v1/series", tags: ["Angle series"] })
    .use(authPlugin(ctx.resolveTenant))
    .post(
      "/",
      async ({ body, tenantId, set }) => {
        const angles = checkedAngles(body);
        const input = angleSeriesInput(ctx.config, { tenantId, subject: body.subject, angles, nonce: body.nonce ?? "", consistency: body.consistency });
        if (input.providers.length === 0) {
          throw new HttpError(503, "no_provider", "No image provider is configured for series (SERIES_PROVIDERS names only AI Horde, and AI_HORDE_URL is unset)");
        }
        const existing = await ctx.prisma.series.findUnique({ where: { tenantId_sessionId: { tenantId, sessionId: input.sessionId } } });
        if (existing) {
          const before = existing.angles as string[];
          if (before.length !== angles.length || before.some((a, i) => a !== angles[i])) {
            throw new HttpError(409, "series_exists", `This subject and nonce already have a series with the angles ${before.join(", ")}; send another nonce for other angles`, {
              sessionId: input.sessionId,
              angles: before,
            });
          }
        } else {
          await startAngleSeries(ctx.temporal, ctx.config, input).catch((err: unknown) => {
            throw new HttpError(503, "orchestrator_unavailable", `Could not start the series: ${(err as Error).message}`);
          });
        }
        if (body.wait !== undefined && body.wait > 0) {
          const handle = ctx.temporal.workflow.getHandle(seriesWorkflowId(input.sessionId));
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            handle.result().catch(() => undefined),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(body.wait!, MAX_WAIT_SECONDS) * 1000))),
          ]);
          clearTimeout(timer);
        }
        const view = (await seriesView(tenantId, input.sessionId))!;
        set.status = body.wait !== undefined && FINISHED.has(view.status) ? 200 : 202;
        return view;
      },
      {
        body: SeriesBody,
        // Runs before validation: Elysia would quietly coerce "2020" to 2020, and a year sent as text
        // is a client bug worth naming.
        transform({ body }) {
          const year = (body as { subject?: { year?: unknown } } | undefined)?.subject?.year;
          if (typeof year === "string") {
            throw new HttpError(400, "invalid_request", `subject.year must be a number, not text ("${year.slice(0, 20)}")`, [{ field: "subject.year", problem: "is text" }]);
          }
        },
        detail: {
          summary: "Start (or join) a consistent multi-angle series of one car",
          description:
            "The same subject and nonce always give the same sessionId and per-angle seeds. Angles run in parallel across GPU instances; " +
            "one angle's failure is reported on that angle. 202 at once, or 200 with the images when `wait` is given and the series finishes in time.",
        },
      },
    )
    .get(
      "/:sessionId",
      async ({ params, tenantId }) => {
        // Another tenant's session is indistinguishable from an unknown one.
        const view = await seriesView(tenantId, params.sessionId);
        if (!view) throw notFound("Series", params.sessionId);
        return view;
      },
      {
        params: t.Object({ sessionId: t.String({ minLength: 1, maxLength: 100 }) }),
        detail: { summary: "A series: its status and every angle's image, seed, prompt and status" },
      },
    );
}
