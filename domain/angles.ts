/**
 * The angles a series can show and the prompt for each (the series template: "{color} {brand}
 * {model} {year} {bodyType}, {angle description}, same car, consistent design, studio lighting…").
 * Shared by the API (validation, the first answer) and the activities (the stored prompt).
 */
import type { SeriesSubject } from "./seriesIdentity";

export const ANGLE_DESCRIPTIONS = {
  front: "front view, facing the camera, symmetrical",
  front_three_quarter: "front three-quarter view from the left",
  side: "side profile view, full length of the car",
  rear_three_quarter: "rear three-quarter view from the right",
  rear: "rear view, from directly behind",
  top: "top-down view from above",
  interior: "interior view of the dashboard and front seats",
  wheel_detail: "close-up of the front wheel and rim",
} as const;

export type Angle = keyof typeof ANGLE_DESCRIPTIONS;

export const ANGLES = Object.keys(ANGLE_DESCRIPTIONS) as Angle[];
export const DEFAULT_ANGLES: Angle[] = ["front", "side", "rear"];
export const MAX_ANGLES = ANGLES.length;

export const isAngle = (value: string): value is Angle => Object.hasOwn(ANGLE_DESCRIPTIONS, value);

/** What keeps the angles looking like one car beyond the shared subject text. */
const CONSISTENCY = "same car, consistent design, identical paint and trim, studio lighting, neutral grey backdrop, photorealistic, high detail";

export const SERIES_NEGATIVE_PROMPT = "different car, mismatched colours, multiple cars, people, text, watermark, blurry, lowres, deformed";

export function subjectText(s: SeriesSubject): string {
  return `${s.color} ${s.brand} ${s.model} ${s.year} ${s.bodyType}`.replace(/\s+/g, " ").trim();
}

export function anglePrompt(subject: string, angle: Angle): string {
  return `${subject}, ${ANGLE_DESCRIPTIONS[angle]}, ${CONSISTENCY}`;
}
