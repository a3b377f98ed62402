/**
 * Bounded HTTP calls to one ComfyUI instance: every request has a timeout, and transient
 * failures (refused connection, reset, 5xx, timeout) are retried a few times quickly before
 * the instance is declared unavailable, so the workflow can fail over instead of waiting.
 */
import { ComfyInstanceUnavailable } from "./errors";
import { inSpan } from "../../lib/tracing";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface ComfyHttpOptions {
  fetch?: FetchLike;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts for transient failures (1 = no retry). */
  attempts?: number;
}

export interface RequestOptions {
  method?: "GET" | "POST";
  body?: unknown;
  timeoutMs?: number;
  attempts?: number;
  signal?: AbortSignal;
  /** Statuses returned to the caller instead of thrown (e.g. 400 from POST /prompt). */
  acceptStatuses?: number[];
}

/** A request failed in a way that may not have reached ComfyUI, or reached it and broke (5xx). */
export class TransientComfyError extends Error {
  constructor(
    message: string,
    /** True only when the request certainly never reached the server (connection refused). */
    readonly notSent: boolean,
  ) {
    super(message);
  }
}

const RETRY_DELAYS_MS = [150, 400, 1000];

/** Pause before retry number `attempt` (1-based). */
export const retryDelayMs = (attempt: number) => RETRY_DELAYS_MS[Math.min(attempt - 1, RETRY_DELAYS_MS.length - 1)]!;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function isConnectionRefused(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ConnectionRefused" || code === "ECONNREFUSED" || /ECONNREFUSED|Unable to connect|ConnectionRefused/i.test(String(err));
}

export class ComfyHttp {
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(
    readonly instanceName: string,
    readonly baseUrl: string,
    opts: ComfyHttpOptions = {},
  ) {
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.attempts = Math.max(1, opts.attempts ?? 3);
  }

  /**
   * One attempt, body included, under one timeout; throws TransientComfyError for anything worth
   * retrying. The caller's cancellation wins over the timeout: it is rethrown as it is.
   */
  async once(path: string, opts: RequestOptions = {}): Promise<ComfyReply> {
    const method = opts.method ?? "GET";
    // A client span per request (a no-op unless traces are exported), named by the route, not the
    // full path, so `/history/<prompt id>` stays one span name.
    const route = path.split("?")[0]!.replace(/^\/(history|view|api\/jobs)\/.+$/, "/$1/{id}");
    return inSpan(`ComfyUI ${method} ${route}`, { "http.request.method": method, "url.full": `${this.baseUrl}${path}`, "darkroom.instance": this.instanceName }, async (span) => {
      const reply = await this.onceUntraced(path, method, opts);
      span.setAttribute("http.response.status_code", reply.status);
      return reply;
    });
  }

  private async onceUntraced(path: string, method: string, opts: RequestOptions): Promise<ComfyReply> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    if (opts.signal?.aborted) throw opts.signal.reason;
    const timeout = AbortSignal.timeout(timeoutMs);
    let status: number;
    let bytes: Uint8Array;
    try {
      const res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
        headers: opts.body === undefined ? undefined : { "content-type": "application/json" },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      status = res.status;
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (timeout.aborted) throw new TransientComfyError(`${method} ${path} timed out after ${timeoutMs} ms`, false);
      const refused = isConnectionRefused(err);
      throw new TransientComfyError(`${method} ${path} failed: ${refused ? "connection refused" : String((err as Error)?.message ?? err)}`, refused);
    }
    const reply = new ComfyReply(this.instanceName, method, path, status, bytes);
    if (status >= 500) throw new TransientComfyError(`${method} ${path} answered ${status}${reply.snippet()}`, false);
    if ((status < 200 || status >= 300) && !opts.acceptStatuses?.includes(status)) {
      throw new Error(`ComfyUI ${this.instanceName} ${method} ${path} answered ${status}${reply.snippet()}`);
    }
    return reply;
  }

  get defaultAttempts(): number {
    return this.attempts;
  }

  /** Retries transient failures; only for idempotent requests (see ComfyClient.submit for POST /prompt). */
  async request(path: string, opts: RequestOptions = {}): Promise<ComfyReply> {
    const attempts = Math.max(1, opts.attempts ?? this.attempts);
    let last: TransientComfyError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(retryDelayMs(attempt), opts.signal);
      try {
        return await this.once(path, opts);
      } catch (err) {
        if (!(err instanceof TransientComfyError)) throw err;
        last = err;
      }
    }
    throw this.unavailable(last?.message ?? "no answer", attempts);
  }

  async json<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.request(path, opts)).json() as T;
  }

  unavailable(cause: string, attempts: number): ComfyInstanceUnavailable {
    return new ComfyInstanceUnavailable(
      `ComfyUI instance ${this.instanceName} (${this.baseUrl}) is unavailable: ${cause}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}`,
      { instance: this.instanceName, url: this.baseUrl, cause },
    );
  }
}

/** A fully read answer. */
export class ComfyReply {
  constructor(
    private readonly instanceName: string,
    private readonly method: string,
    private readonly path: string,
    readonly status: number,
    readonly bytes: Uint8Array,
  ) {}

  text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  json(): unknown {
    const text = this.text();
    try {
      return text ? JSON.parse(text) : {};
    } catch {
      throw new Error(`ComfyUI ${this.instanceName} ${this.method} ${this.path} answered ${this.status} with something that is not JSON: ${text.slice(0, 120)}`);
    }
  }

  snippet(): string {
    const text = this.text().trim();
    return text ? `: ${text.slice(0, 200)}` : "";
  }
}
