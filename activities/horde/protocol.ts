/** AI Horde API v2 wire shapes (https://aihorde.net/api/), only what darkroom sends and reads. */

export const HORDE_CLIENT_AGENT = "darkroom:0.1.0:https://github.com/darkroom";
/** The anonymous key: allowed, but lowest priority and refused for expensive jobs. */
export const HORDE_ANONYMOUS_KEY = "0000000000";

export interface HordeGenerationParams {
  width: number;
  height: number;
  steps: number;
  /** The Horde takes the seed as a string. */
  seed: string;
  n: number;
  sampler_name: string;
  cfg_scale: number;
}

export interface HordeAsyncRequest {
  prompt: string;
  params: HordeGenerationParams;
  nsfw: boolean;
  models: string[];
  /** true: images come back as download URLs (Cloudflare R2) instead of base64. */
  r2: boolean;
}

export interface HordeAsyncAccepted {
  id: string;
  kudos: number;
  message?: string;
}

export interface HordeCheck {
  finished: number;
  processing: number;
  restarted: number;
  waiting: number;
  done: boolean;
  faulted: boolean;
  /** Seconds the Horde expects until done. */
  wait_time: number;
  queue_position: number;
  kudos: number;
  is_possible: boolean;
}

export interface HordeGeneration {
  /** A download URL (r2) or base64 WebP. */
  img: string;
  seed: string;
  id: string;
  worker_id: string;
  worker_name: string;
  model: string;
  censored: boolean;
  state: "ok" | "censored" | "faulted" | string;
}

export interface HordeStatus extends HordeCheck {
  generations: HordeGeneration[];
}

/** Every error body: `{ message, rc }`, plus `errors` on validation failures. */
export interface HordeErrorBody {
  message: string;
  rc?: string;
  errors?: Record<string, string>;
}
