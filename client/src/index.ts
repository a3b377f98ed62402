/**
 * The darkroom client: typed calls for every route of the API (the types are generated from its
 * OpenAPI document into ./openapi.ts), plus what a chat backend needs on top — `reply()`,
 * `events()` (SSE that resumes with Last-Event-ID after a dropped connection), `waitForImages()`
 * and `cancel()`. No dependencies: `fetch` and web streams only, so it runs on Bun, Node ≥ 20,
 * Deno and browsers.
 */
import type { components, operations } from "./openapi";
import { readSse } from "./sse";

export type { components, operations, paths } from "./openapi";

type Schemas = components["schemas"];
export type Generation = Schemas["Generation"];
export type Reply = Schemas["Reply"];
export type PendingImages = Schemas["PendingImages"];
export type Accepted = Schemas["Accepted"];
export type Regenerated = Schemas["Regenerated"];
export type Series = Schemas["Series"];
export type Dialog = Schemas["Dialog"];
export type DialogMessageResult = Schemas["DialogMessageResult"];
export type Personas = Schemas["Personas"];
export type Deliveries = Schemas["Deliveries"];
export type Flows = Schemas["Flows"];
export type TaskState = Schemas["TaskState"];
export type Instances = Schemas["Instances"];
export type Readiness = Schemas["Readiness"];
export type GenerationEvent = Schemas["GenerationEvent"];
export type ErrorBody = Schemas["Error"];

type JsonBody<Op extends keyof operations> = operations[Op] extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
export type ReplyRequest = JsonBody<"createReply">;
export type SeriesRequest = JsonBody<"createSeries">;
export type DialogMessageRequest = JsonBody<"postDialogMessage">;
export type TaskRequest = JsonBody<"createTask">;

/** The events after which a generation's stream ends. */
export const FINAL_EVENTS = ["image:completed", "image:failed", "image:cancelled"] as const;
export const FINAL_STATUSES = ["completed", "failed", "cancelled", "refused"] as const;

/** An answer with an error status, carrying the API's `{ error: { code, message, details } }`. */
export class DarkroomError extends Error {
  override readonly name = "DarkroomError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** The API's base URL, e.g. http://localhost:3000 */
  baseUrl: string;
  /** The tenant's API key (sent as `Authorization: Bearer`). */
  apiKey?: string;
  /** Another fetch (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
}

export interface EventsOptions {
  /** Resume after this eventId instead of from the beginning. */
  lastEventId?: number | string;
  signal?: AbortSignal;
  /** Consecutive failed reconnects before giving up (default 20). */
  maxRetries?: number;
  /** First reconnect delay in ms unless the server sets one with `retry:` (default 1000); doubles per failure, at most 15 s. */
  retryDelayMs?: number;
  /** Told about every reconnect (a dropped connection, a restarting server). */
  onReconnect?(info: { attempt: number; lastEventId?: string; error?: unknown }): void;
}

export interface WaitOptions extends Omit<EventsOptions, "lastEventId"> {
  /** Every event of every generation waited on, as it arrives (progress bars). */
  onEvent?(event: GenerationEvent): void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

const enc = encodeURIComponent;

export class DarkroomClient {
  readonly baseUrl: string;
  private readonly apiKey?: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    // Browsers refuse a `fetch` called as a method of another object ("Illegal invocation"), so
    // the global one is bound to its own scope.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  // ---------------------------------------------------------------------------------------------
  // Raw calls

  /** One call; a 4xx/5xx answer throws DarkroomError with the API's code and message. */
  async request<T>(method: string, path: string, init: { body?: unknown; query?: Record<string, string | undefined>; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<T> {
    const res = await this.send(method, path, init);
    if (res.status === 204) return undefined as T;
    const type = res.headers.get("content-type") ?? "";
    return (type.includes("json") ? await res.json() : await res.text()) as T;
  }

  private async send(method: string, path: string, init: { body?: unknown; query?: Record<string, string | undefined>; headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...init.headers };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await this.fetchImpl(url, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: init.signal });
    if (res.status >= 400) throw await toError(res);
    return res;
  }

  health() {
    return this.request<Schemas["Health"]>("GET", "/healthz");
  }
  /** Readiness; a 503 (not ready) is an answer here, not an error. */
  async readiness(): Promise<Readiness> {
    const res = await this.fetchImpl(`${this.baseUrl}/readyz`);
    return (await res.json()) as Readiness;
  }
  instances() {
    return this.request<Instances>("GET", "/v1/instances");
  }

  /** Hands over an agent's reply; each `[IMAGE: …]` tag starts a generation, and its waiting message comes back now. */
  reply(agentId: string, body: ReplyRequest, signal?: AbortSignal) {
    return this.request<Reply>("POST", `/v1/agents/${enc(agentId)}/replies`, { body, signal });
  }
  pendingImages(agentId: string, userId: string) {
    return this.request<PendingImages>("GET", `/v1/agents/${enc(agentId)}/pending-images`, { query: { userId } });
  }

  generation(id: string, signal?: AbortSignal) {
    return this.request<Generation>("GET", `/v1/generations/${enc(id)}`, { signal });
  }
  /** Cancels a generation: its GPU work is interrupted or dequeued (DarkroomError 409 when already finished). */
  cancel(id: string) {
    return this.request<Accepted>("POST", `/v1/generations/${enc(id)}/cancel`);
  }
  retry(id: string) {
    return this.request<Accepted>("POST", `/v1/generations/${enc(id)}/retry`);
  }
  /**
   * Take another one: a new generation of a finished companion photo or chat image with the same
   * prompt, persona and template and a new seed (`generation.regeneratedFrom` is `id`), and its
   * in-character waiting message. DarkroomError 409 while the original runs or for other kinds.
   */
  regenerate(id: string) {
    return this.request<Regenerated>("POST", `/v1/generations/${enc(id)}/regenerate`);
  }
  deliveries(id: string) {
    return this.request<Deliveries>("GET", `/v1/generations/${enc(id)}/deliveries`);
  }

  /** The stored WebP of an image id, or of an image URL from a message (signed URLs need no key). */
  async image(idOrUrl: string, options: { variant?: "full" | "thumb"; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const url = /^https?:\/\//.test(idOrUrl) ? new URL(idOrUrl) : new URL(`${this.baseUrl}/v1/images/${enc(idOrUrl)}`);
    if (options.variant) url.searchParams.set("variant", options.variant);
    const signed = url.searchParams.has("sig");
    const res = await this.fetchImpl(url, { headers: !signed && this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}, signal: options.signal });
    if (res.status >= 400) throw await toError(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  /**
   * A generation's latest live preview (WebP, at most 256 px): by generation id, or by the signed
   * `url` of an `image:preview` event (which needs no key). DarkroomError 404 before the first one.
   */
  async preview(idOrUrl: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const url = /^https?:\/\//.test(idOrUrl) ? new URL(idOrUrl) : new URL(`${this.baseUrl}/v1/generations/${enc(idOrUrl)}/preview`);
    const signed = url.searchParams.has("sig");
    const res = await this.fetchImpl(url, { headers: !signed && this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}, signal: options.signal });
    if (res.status >= 400) throw await toError(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  createSeries(body: SeriesRequest) {
    return this.request<Series>("POST", "/v1/series", { body });
  }
  series(sessionId: string) {
    return this.request<Series>("GET", `/v1/series/${enc(sessionId)}`);
  }

  personas() {
    return this.request<Personas>("GET", "/v1/personas");
  }
  postDialogMessage(dialogId: string, body: DialogMessageRequest) {
    return this.request<DialogMessageResult>("POST", `/v1/dialogs/${enc(dialogId)}/messages`, { body });
  }
  dialog(dialogId: string) {
    return this.request<Dialog>("GET", `/v1/dialogs/${enc(dialogId)}`);
  }
  resetDialog(dialogId: string) {
    return this.request<void>("DELETE", `/v1/dialogs/${enc(dialogId)}`);
  }

  flows() {
    return this.request<Flows>("GET", "/v1/flows");
  }
  createTask(body: TaskRequest) {
    return this.request<Schemas["TaskCreated"]>("POST", "/v1/tasks", { body });
  }
  task(taskId: string) {
    return this.request<TaskState>("GET", `/v1/tasks/${enc(taskId)}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Live events

  /**
   * A generation's events, oldest first, until its final one (`image:completed`, `image:failed`,
   * `image:cancelled`). A dropped connection or a restarting server is reconnected with the last
   * `eventId` seen as Last-Event-ID, so nothing is missed and nothing comes twice. Breaking out of
   * the loop (or aborting `signal`) closes the connection.
   */
  async *events(generationId: string, options: EventsOptions = {}): AsyncGenerator<GenerationEvent> {
    let lastId = options.lastEventId === undefined ? undefined : String(options.lastEventId);
    let delay = options.retryDelayMs ?? 1000;
    let serverDelay: number | undefined;
    let failures = 0;
    const maxRetries = options.maxRetries ?? 20;
    for (;;) {
      let error: unknown;
      const connection = new AbortController();
      const onAbort = () => connection.abort(options.signal?.reason);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const res = await this.send("GET", `/v1/generations/${enc(generationId)}/events`, {
          headers: { accept: "text/event-stream", ...(lastId !== undefined ? { "last-event-id": lastId } : {}) },
          signal: connection.signal,
        });
        if (!res.body) throw new Error("the event stream has no body");
        for await (const frame of readSse(res.body)) {
          if (frame.retry !== undefined) serverDelay = frame.retry;
          if (!frame.data) continue;
          const event = JSON.parse(frame.data) as GenerationEvent;
          if (frame.id !== undefined) lastId = frame.id;
          failures = 0;
          yield event;
          if ((FINAL_EVENTS as readonly string[]).includes(event.type)) return;
        }
      } catch (err) {
        // Refusals (unknown generation, bad key) are final; anything else is a connection to retry.
        if (err instanceof DarkroomError && err.status < 500) throw err;
        if (options.signal?.aborted) throw options.signal.reason;
        error = err;
      } finally {
        options.signal?.removeEventListener("abort", onAbort);
        connection.abort();
      }
      // The stream ended (or broke) before the final event: reconnect where it left off.
      failures += 1;
      if (failures > maxRetries) throw new Error(`gave up on the event stream of ${generationId} after ${maxRetries} reconnects: ${String(error ?? "closed early")}`);
      options.onReconnect?.({ attempt: failures, lastEventId: lastId, error });
      await sleep(failures === 1 ? (serverDelay ?? delay) : Math.min(15_000, delay * 2 ** (failures - 1)), options.signal);
    }
  }

  /**
   * Waits until every generation is finished (completed, failed or cancelled) and returns them in
   * the order given. Accepts generation ids or a `reply()` answer. Failed and cancelled ones are
   * returned too; look at `status`.
   */
  async waitForImages(what: string | string[] | Reply, options: WaitOptions = {}): Promise<Generation[]> {
    const ids = typeof what === "string" ? [what] : Array.isArray(what) ? what : what.generations.map((g) => g.id);
    return Promise.all(
      ids.map(async (id) => {
        for await (const event of this.events(id, options)) options.onEvent?.(event);
        // The record turns final with (or just before) the final event; read it until it says so.
        for (let i = 0; ; i++) {
          const g = await this.generation(id, options.signal);
          if ((FINAL_STATUSES as readonly string[]).includes(g.status) || i >= 50) return g;
          await sleep(100, options.signal);
        }
      }),
    );
  }
}

async function toError(res: Response): Promise<DarkroomError> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (body?.error?.code) return new DarkroomError(res.status, body.error.code, body.error.message, body.error.details);
  } catch {
    // not the API's error shape (a proxy in between): keep the text
  }
  return new DarkroomError(res.status, `http_${res.status}`, text.slice(0, 500) || res.statusText);
}

export { readSse, type SseFrame } from "./sse";
