/**
 * Angle series: one car, several angles, the same car in each. The session id and per-angle seeds
 * are stable hashes computed here, so the same request gives the same series in any process; asking
 * again joins the series already there. Each angle is also a generation (its own status, events
 * and cancel).
 */
import { angleSeriesRecord, angleGenerationId, angleWorkflowId, seriesWorkflowId, type AngleSeriesInput, type BegunAngle, type SeriesConsistency, type SeriesProvider } from "../domain/angleSeries";
import { ANGLES, DEFAULT_ANGLES, isAngle, MAX_ANGLES, SERIES_NEGATIVE_PROMPT, type Angle } from "../domain/angles";
import { FINAL_SERIES_STATUSES, isFinalSeries } from "../domain/generation";
import { angleSeed, seriesSessionId, type SeriesSubject } from "../domain/seriesIdentity";
import type { Config } from "../lib/config";
import { angleSeries } from "../workflows/angleSeries";
import type { ServiceDeps } from "./deps";
import { notFound, ServiceRefusal } from "./errors";
import { quotaService, startSpending } from "./quotas";
import { startGeneration } from "./startGeneration";

/** The longest a request may wait for a series to finish; longer series are polled. */
export const MAX_WAIT_SECONDS = 60;

export interface AngleSeriesRequest {
  tenantId: string;
  subject: SeriesSubject;
  angles: Angle[];
  nonce: string;
  consistency?: SeriesConsistency;
}

/** The providers an angle tries, in order: the configured policy minus AI Horde when it has no URL. */
export function seriesProviders(config: Config): SeriesProvider[] {
  return config.series.providers.filter((p) => p !== "horde" || !!config.horde.url);
}

export function angleSeriesInput(config: Config, r: AngleSeriesRequest): AngleSeriesInput {
  const sessionId = seriesSessionId(r.tenantId, r.subject, r.nonce);
  return {
    sessionId,
    tenantId: r.tenantId,
    subject: r.subject,
    nonce: r.nonce,
    // The first requested angle is the main view.
    angles: r.angles.map((angle, i) => ({
      angle,
      seed: angleSeed(sessionId, angle),
      generationId: angleGenerationId(sessionId, angle),
      workflowId: angleWorkflowId(sessionId, angle),
      isMain: i === 0,
    })),
    template: config.comfy.defaultTemplate,
    width: 1024,
    height: 768,
    negativePrompt: SERIES_NEGATIVE_PROMPT,
    providers: seriesProviders(config),
    consistency: r.consistency ?? "independent",
    limits: {
      generationTimeoutMs: config.generationTimeoutMs,
      pickupTimeoutMs: config.comfy.pickupTimeoutMs,
      heartbeatTimeoutMs: config.comfy.heartbeatTimeoutMs,
      hordeHeartbeatTimeoutMs: Math.max(config.comfy.heartbeatTimeoutMs, 30_000 + config.series.hordePollMs),
    },
  };
}

/** Checks a schema cannot express, each naming the field. */
export function checkedAngles(subject: SeriesSubject, requested: string[] | undefined): Angle[] {
  for (const field of ["brand", "model", "color", "bodyType"] as const) {
    if (!subject[field].trim()) throw new ServiceRefusal("invalid", "invalid_request", `subject.${field} must not be empty`, [{ field: `subject.${field}`, problem: "is blank" }]);
  }
  const angles = requested ?? DEFAULT_ANGLES;
  if (angles.length === 0) throw new ServiceRefusal("invalid", "invalid_request", "angles must name at least one angle", [{ field: "angles", problem: "is empty" }]);
  if (angles.length > MAX_ANGLES) {
    throw new ServiceRefusal("invalid", "too_many_angles", `angles may name at most ${MAX_ANGLES} angles; got ${angles.length}`, [{ field: "angles", problem: `more than ${MAX_ANGLES}` }]);
  }
  const seen = new Set<string>();
  for (const [i, angle] of angles.entries()) {
    if (!isAngle(angle)) {
      throw new ServiceRefusal("invalid", "unknown_angle", `angles[${i}] "${angle}" is not a known angle (known: ${ANGLES.join(", ")})`, [{ field: `angles.${i}`, problem: "unknown angle" }]);
    }
    if (seen.has(angle)) throw new ServiceRefusal("invalid", "duplicate_angle", `angles[${i}] "${angle}" is listed twice`, [{ field: `angles.${i}`, problem: "duplicate" }]);
    seen.add(angle);
  }
  return angles as Angle[];
}

export function angleSeriesService(deps: ServiceDeps) {
  const { prisma, config } = deps;
  const quotas = quotaService(deps);

  async function view(tenantId: string, sessionId: string) {
    const series = await prisma.series.findUnique({ where: { tenantId_sessionId: { tenantId, sessionId } } });
    if (!series) return undefined;
    const generations = await prisma.generation.findMany({
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
        ...(image ? { url: deps.signer.imageUrl(image.id), thumbnailUrl: deps.signer.imageUrl(image.id, "thumb"), imageId: image.id } : {}),
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
      status: isFinalSeries(series.status) ? series.status : running ? "generating" : "pending",
      subject: series.subject,
      nonce: series.nonce,
      images,
      total_generated: images.filter((i) => i.url).length,
      workflowId: series.workflowId,
      createdAt: series.createdAt.toISOString(),
      completedAt: series.completedAt?.toISOString(),
    };
  }

  /** Starts the series, or joins the one already running for this session; returns its recorded angles. */
  async function start(input: AngleSeriesInput): Promise<BegunAngle[]> {
    if (input.providers.length === 0) {
      throw new ServiceRefusal("unavailable", "no_provider", "No image provider is configured for series (SERIES_PROVIDERS names only AI Horde, and AI_HORDE_URL is unset)");
    }
    // Every angle is an image of the tenant's daily quota; joining a series already there spends nothing.
    const exists = await prisma.series.findUnique({ where: { tenantId_sessionId: { tenantId: input.tenantId, sessionId: input.sessionId } }, select: { id: true } });
    const reservation = exists ? undefined : await quotas.reserve({ tenantId: input.tenantId, images: input.angles.length });
    return startSpending(reservation, (started) => startGeneration(
      deps,
      {
        workflow: angleSeries,
        workflowId: seriesWorkflowId(input.sessionId),
        taskQueue: config.temporal.taskQueue,
        input,
        tenantId: input.tenantId,
        kind: "angle_series",
        // Two identical requests at once join one series instead of making it twice.
        onConflict: "join",
      },
      () => {
        started();
        return deps.records.beginAngleSeries(angleSeriesRecord(input));
      },
    ));
  }

  return {
    start,

    /** A series with every angle's state; another tenant's session is as unknown as a missing one. */
    async get(tenantId: string, sessionId: string) {
      const seen = await view(tenantId, sessionId);
      if (!seen) throw notFound("Series", sessionId);
      return seen;
    },

    /**
     * Starts or joins the series for this subject and nonce. The same subject and nonce with other
     * angles is a conflict: a series' angles never change.
     */
    async request(r: AngleSeriesRequest & { waitSeconds?: number }) {
      const input = angleSeriesInput(config, r);
      const existing = await prisma.series.findUnique({ where: { tenantId_sessionId: { tenantId: r.tenantId, sessionId: input.sessionId } } });
      if (existing) {
        const before = existing.angles as string[];
        if (before.length !== r.angles.length || before.some((a, i) => a !== r.angles[i])) {
          throw new ServiceRefusal(
            "conflict",
            "series_exists",
            `This subject and nonce already have a series with the angles ${before.join(", ")}; send another nonce for other angles`,
            { sessionId: input.sessionId, angles: before },
          );
        }
      } else {
        await start(input);
      }
      if (r.waitSeconds !== undefined && r.waitSeconds > 0) {
        const handle = deps.temporal.workflow.getHandle(seriesWorkflowId(input.sessionId));
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          handle.result().catch(() => undefined),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(r.waitSeconds!, MAX_WAIT_SECONDS) * 1000))),
        ]);
        clearTimeout(timer);
      }
      const seen = (await view(r.tenantId, input.sessionId))!;
      return { series: seen, finished: (FINAL_SERIES_STATUSES as readonly string[]).includes(seen.status) };
    },
  };
}
