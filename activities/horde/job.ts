/**
 * One image on the AI Horde, from submission to the finished generations, with no Temporal in it
 * (the activity in ./generate wraps it): submit (or re-attach to an earlier request), poll the cheap
 * `check` until done while reporting queue position and ETA, then fetch `status` once.
 * 429 is waited out with exponential backoff; cancellation DELETEs the request.
 */
import type { HordeClient } from "./client";
import { HordeRateLimited, HordeRequestExpired, HordeRequestFailed } from "./errors";
import type { HordeAsyncRequest, HordeCheck, HordeGeneration } from "./protocol";

export interface HordeImageParams {
  prompt: string;
  negativePrompt: string;
  seed: number;
  width: number;
  height: number;
  steps?: number;
  models?: string[];
}

export interface HordeProgress {
  requestId: string;
  percent: number;
  queuePosition: number;
  etaSeconds: number;
}

export interface HordeJobOptions {
  /** A request id an earlier attempt submitted: re-attach to it instead of paying twice. */
  previousRequestId?: string;
  /** Called as soon as the request id is known (the activity heartbeats it). */
  onRequestId?: (id: string) => void;
  /** Called after every poll (the activity heartbeats; cancellation arrives that way). */
  onPoll?: () => void;
  onProgress?: (p: HordeProgress) => Promise<void> | void;
  signal?: AbortSignal;
  pollMs: number;
  /** First wait after a 429; doubles each time up to 15 s. */
  rateLimitBackoffMs?: number;
  maxRateLimitRetries?: number;
}

export interface HordeJobResult {
  requestId: string;
  generations: HordeGeneration[];
  reattached: boolean;
  /** How many 429 answers were waited out. */
  rateLimited: number;
}

/** The Horde separates the negative prompt with `###`. */
export function hordeRequest(p: HordeImageParams): HordeAsyncRequest {
  return {
    prompt: p.negativePrompt ? `${p.prompt} ### ${p.negativePrompt}` : p.prompt,
    params: {
      // Horde workers need multiples of 64.
      width: Math.max(64, Math.round(p.width / 64) * 64),
      height: Math.max(64, Math.round(p.height / 64) * 64),
      steps: p.steps ?? 25,
      seed: String(p.seed),
      n: 1,
      sampler_name: "k_euler_a",
      cfg_scale: 7,
    },
    nsfw: false,
    models: p.models ?? [],
    r2: true,
  };
}

/**
 * Queue and ETA as progress: the longest wait seen is 0 %, done is 100 %; never moves backwards and
 * stays below 100 until the images are there.
 */
export function hordeProgressPercent(check: Pick<HordeCheck, "wait_time" | "done">, longestWait: number, previous: number): number {
  if (check.done) return 100;
  const fraction = longestWait > 0 ? 1 - check.wait_time / longestWait : 0;
  return Math.max(previous, Math.min(95, Math.max(0, Math.round(95 * fraction))));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export async function runHordeJob(client: HordeClient, params: HordeImageParams, opts: HordeJobOptions): Promise<HordeJobResult> {
  const signal = opts.signal;
  const baseBackoff = opts.rateLimitBackoffMs ?? 2000;
  const maxRetries = opts.maxRateLimitRetries ?? 8;
  let rateLimited = 0;
  let streak = 0;
  /** Runs a call, waiting out 429s; the streak resets after a success so long jobs are not starved. */
  const patiently = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        const value = await call();
        streak = 0;
        return value;
      } catch (err) {
        if (!(err instanceof HordeRateLimited) || streak >= maxRetries) throw err;
        rateLimited++;
        // Still alive while waiting: the activity heartbeats here too, so backoff never looks like a dead worker.
        opts.onPoll?.();
        await sleep(Math.min(15_000, baseBackoff * 2 ** streak++), signal);
      }
    }
  };

  let requestId: string | undefined;
  let reattached = false;
  try {
    if (opts.previousRequestId) {
      try {
        await patiently(() => client.check(opts.previousRequestId!, signal));
        requestId = opts.previousRequestId;
        reattached = true;
      } catch (err) {
        if (!(err instanceof HordeRequestExpired)) throw err;
        // Expired or deleted while nobody watched it: the only way to the picture is a new request.
      }
    }
    if (!requestId) requestId = (await patiently(() => client.submit(hordeRequest(params), signal))).id;
    opts.onRequestId?.(requestId);

    let longestWait = 0;
    let percent = 0;
    let last: HordeProgress | undefined;
    for (;;) {
      const check = await patiently(() => client.check(requestId!, signal));
      opts.onPoll?.();
      if (check.faulted) throw new HordeRequestFailed(`AI Horde request ${requestId} faulted`, 200, "Faulted");
      if (!check.is_possible) {
        throw new HordeRequestFailed(`AI Horde request ${requestId} cannot be served: no worker offers the requested model or size`, 200, "NotPossible");
      }
      if (check.done) break;
      longestWait = Math.max(longestWait, check.wait_time);
      percent = hordeProgressPercent(check, longestWait, percent);
      const progress = { requestId, percent, queuePosition: check.queue_position, etaSeconds: Math.max(0, Math.round(check.wait_time)) };
      if (!last || last.percent !== progress.percent || last.queuePosition !== progress.queuePosition || last.etaSeconds !== progress.etaSeconds) {
        last = progress;
        await opts.onProgress?.(progress);
      }
      await sleep(opts.pollMs, signal);
    }

    const status = await patiently(() => client.status(requestId!, signal));
    const generations = status.generations.filter((g) => g.state !== "faulted" && !g.censored && g.img);
    if (status.faulted || generations.length === 0) {
      const why = status.generations.some((g) => g.censored) ? "the image was censored" : "no image came back";
      throw new HordeRequestFailed(`AI Horde request ${requestId} finished but ${why}`, 200, "NoImage");
    }
    return { requestId, generations, reattached, rateLimited };
  } catch (err) {
    if (signal?.aborted && requestId) {
      // Cancelled: free the Horde worker and our kudos. Best effort; the request expires anyway.
      await client.cancel(requestId).catch(() => undefined);
    }
    throw err;
  }
}

/** An image as the Horde hands it out: a download URL (r2) or base64 WebP. */
export async function hordeImageBytes(img: string, signal?: AbortSignal): Promise<Uint8Array> {
  if (/^https?:\/\//i.test(img)) {
    const res = await fetch(img, { signal: signal ?? AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`Downloading the AI Horde image failed with ${res.status} (${img.slice(0, 120)})`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const base64 = img.replace(/^data:[^,]*,/, "");
  return new Uint8Array(Buffer.from(base64, "base64"));
}
