/**
 * Starting an angle series from the client side: the session id and per-angle seeds are computed
 * here (stable hashes), and the workflow is started with Update-with-Start so the same round trip
 * returns once the series and its angles are recorded.
 */
import { WithStartWorkflowOperation, type Client } from "@temporalio/client";
import type { BegunAngle } from "../activities/db/series";
import { angleSeries, seriesBegunUpdate, type AngleSeriesInput, type SeriesConsistency } from "../workflows/angleSeries";
import type { Config, SeriesProvider } from "../lib/config";
import { SERIES_NEGATIVE_PROMPT, type Angle } from "../domain/angles";
import { angleSeed, seriesSessionId, type SeriesSubject } from "../domain/seriesIdentity";
import { DarkroomKind, DarkroomStatus, DarkroomTenant } from "../domain/searchAttributes";

export const SERIES_KIND = "angle_series";
export const seriesWorkflowId = (sessionId: string) => `darkroom/${SERIES_KIND}/${sessionId}`;
/** Each angle's own workflow (and so its generation's workflow id). */
export const angleWorkflowId = (sessionId: string, angle: string) => `${seriesWorkflowId(sessionId)}/${angle}`;
/** Deterministic, so asking again for the same series names the same generations. */
export const angleGenerationId = (sessionId: string, angle: string) => `${sessionId}-${angle.replace(/_/g, "-")}`;

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

/** Starts the series (or joins the one already running for this session) and waits until it is recorded. */
export async function startAngleSeries(temporal: Client, config: Config, input: AngleSeriesInput): Promise<BegunAngle[]> {
  const start = new WithStartWorkflowOperation(angleSeries, {
    workflowId: seriesWorkflowId(input.sessionId),
    taskQueue: config.temporal.taskQueue,
    args: [input],
    // Two identical requests at once join one series instead of making it twice.
    workflowIdConflictPolicy: "USE_EXISTING",
    typedSearchAttributes: [
      { key: DarkroomTenant, value: input.tenantId },
      { key: DarkroomKind, value: SERIES_KIND },
      { key: DarkroomStatus, value: "pending" },
    ],
  });
  return temporal.workflow.executeUpdateWithStart(seriesBegunUpdate, { startWorkflowOperation: start });
}
