/**
 * A thin AI Horde v2 client: the four calls darkroom needs, with every error body mapped to an
 * error class that says whether to wait, give up or submit again.
 */
import {
  HordeError,
  HordeRateLimited,
  HordeRequestExpired,
  HordeRequestRefused,
  HordeUnavailable,
} from "./errors";
import {
  HORDE_ANONYMOUS_KEY,
  HORDE_CLIENT_AGENT,
  type HordeAsyncAccepted,
  type HordeAsyncRequest,
  type HordeCheck,
  type HordeErrorBody,
  type HordeStatus,
} from "./protocol";

export interface HordeClientOptions {
  /** e.g. https://aihorde.net/api (the `/v2` is added here). */
  url: string;
  apiKey?: string;
  timeoutMs?: number;
}

export class HordeClient {
  private readonly base: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;

  constructor(opts: HordeClientOptions) {
    this.base = `${opts.url.replace(/\/+$/, "").replace(/\/v2$/, "")}/v2`;
    this.apiKey = opts.apiKey || HORDE_ANONYMOUS_KEY;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  submit(request: HordeAsyncRequest, signal?: AbortSignal): Promise<HordeAsyncAccepted> {
    return this.call<HordeAsyncAccepted>("POST", "/generate/async", request, signal);
  }

  /** The cheap poll: no images, so it may be called every few seconds. */
  check(id: string, signal?: AbortSignal): Promise<HordeCheck> {
    return this.call<HordeCheck>("GET", `/generate/check/${encodeURIComponent(id)}`, undefined, signal);
  }

  /** The expensive call with the images; rate-limited by the Horde, so fetched once at the end. */
  status(id: string, signal?: AbortSignal): Promise<HordeStatus> {
    return this.call<HordeStatus>("GET", `/generate/status/${encodeURIComponent(id)}`, undefined, signal);
  }

  /** Cancels the request; whatever finished so far comes back. */
  cancel(id: string): Promise<HordeStatus> {
    return this.call<HordeStatus>("DELETE", `/generate/status/${encodeURIComponent(id)}`);
  }

  private async call<T>(method: string, route: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.base + route, {
        method,
        headers: {
          apikey: this.apiKey,
          "Client-Agent": HORDE_CLIENT_AGENT,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new HordeUnavailable(`AI Horde at ${this.base} is unreachable: ${(err as Error).message}`, 0);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (parsed === undefined) throw new HordeUnavailable(`AI Horde ${method} ${route} answered ${res.status} without JSON`, res.status);
      return parsed as T;
    }
    throw toHordeError(res.status, parsed as Partial<HordeErrorBody> | undefined, `${method} ${route}`);
  }
}

function toHordeError(status: number, body: Partial<HordeErrorBody> | undefined, what: string): HordeError {
  const rc = body?.rc;
  const detail = body?.errors ? ` (${Object.entries(body.errors).map(([k, v]) => `${k}: ${v}`).join("; ")})` : "";
  const message = `AI Horde refused ${what} with ${status}${rc ? ` ${rc}` : ""}: ${body?.message ?? "no message"}${detail}`;
  if (status === 429) return new HordeRateLimited(message, status, rc);
  if (status === 404) return new HordeRequestExpired(message, status, rc ?? "RequestNotFound");
  if (status >= 500) return new HordeUnavailable(message, status, rc);
  if (status >= 400) return new HordeRequestRefused(message, status, rc, body?.errors);
  return new HordeError(message, status, rc);
}
