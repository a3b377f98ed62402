/**
 * An angle series: one car, several angles, the same car in every picture. The session id and
 * per-angle seeds are stable hashes computed before the start, so they are inputs here and a
 * replay never recomputes them.
 */
import type { SeriesProvider } from "../lib/config";
import type { Angle } from "./angles";
import { generationWorkflowId, type SeriesStatus } from "./generation";
import type { SeriesSubject } from "./seriesIdentity";

export type { SeriesProvider, SeriesStatus };

export const seriesWorkflowId = (sessionId: string) => generationWorkflowId("angle_series", sessionId);
/** Each angle's own workflow (and so its generation's workflow id). */
export const angleWorkflowId = (sessionId: string, angle: string) => `${seriesWorkflowId(sessionId)}/${angle}`;
/** Deterministic, so asking again for the same series names the same generations. */
export const angleGenerationId = (sessionId: string, angle: string) => `${sessionId}-${angle.replace(/_/g, "-")}`;

/**
 * "independent" (default): every angle at once, alike through the shared subject, hints and seeds.
 * "reference": the main view first, then the other angles in parallel, each starting from the main
 * view's picture (img2img), so they show the very same car — at the cost of one more image's time.
 */
export type SeriesConsistency = "independent" | "reference";

export interface SeriesAngleJob {
  angle: Angle;
  seed: number;
  generationId: string;
  /** The workflow that makes this angle (the generation's own workflow id). */
  workflowId: string;
  isMain: boolean;
}

/** An angle as recorded, with the prompt it is made from. */
export interface BegunAngle extends SeriesAngleJob {
  prompt: string;
}

export interface AngleSeriesLimits {
  generationTimeoutMs: number;
  pickupTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** How long the AI Horde activity may go without a heartbeat (it heartbeats every poll). */
  hordeHeartbeatTimeoutMs: number;
}

/** How every angle of a series is made: the same template, size and providers. */
export interface AngleSettings {
  template?: string;
  width: number;
  height: number;
  negativePrompt: string;
  /** Tried in order for every angle; already filtered to the configured ones. */
  providers: SeriesProvider[];
  limits: AngleSeriesLimits;
}

export interface AngleSeriesInput extends AngleSettings {
  sessionId: string;
  tenantId: string;
  subject: SeriesSubject;
  nonce: string;
  angles: SeriesAngleJob[];
  consistency?: SeriesConsistency;
}

export interface AngleImageInput extends AngleSettings {
  generationId: string;
  tenantId: string;
  sessionId: string;
  angle: string;
  prompt: string;
  seed: number;
  /** Start from this generation's picture (the series' main view) when ComfyUI makes the angle. */
  reference?: { generationId: string };
}

export interface AngleOutcome {
  angle: string;
  generationId: string;
  status: "completed" | "failed" | "cancelled";
  provider?: SeriesProvider;
  imageIds: string[];
  error?: string;
}

export interface AngleSeriesResult {
  sessionId: string;
  status: SeriesStatus;
  angles: AngleOutcome[];
}

/** The series' first write: the series row and one pending generation per angle. */
export interface AngleSeriesRecord {
  sessionId: string;
  tenantId: string;
  subject: SeriesSubject;
  nonce: string;
  angles: SeriesAngleJob[];
  workflowId: string;
  template?: string;
  width: number;
  height: number;
  negativePrompt: string;
}

/** The record both the API and the workflow's first step write for this series. */
export function angleSeriesRecord(input: AngleSeriesInput): AngleSeriesRecord {
  return {
    sessionId: input.sessionId,
    tenantId: input.tenantId,
    subject: input.subject,
    nonce: input.nonce,
    angles: input.angles,
    workflowId: seriesWorkflowId(input.sessionId),
    template: input.template,
    width: input.width,
    height: input.height,
    negativePrompt: input.negativePrompt,
  };
}
