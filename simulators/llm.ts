/**
 * A stand-in OpenAI-compatible chat-completions server for development and tests: answers with the
 * real response shape, checks the bearer key, and can be told to be slow or to fail, so the
 * template fallbacks can be exercised without a paid API. It also answers `/v1/moderations` in
 * OpenAI's shape, flagging inputs that contain one of the configured words (its own delay and
 * failure switches, so a down or slow moderation endpoint can be tried on its own).
 */

export interface LlmSimulatorBehaviour {
  /** What the assistant says; a function sees the request's messages. */
  answer: string | ((messages: Array<{ role: string; content: string }>) => string);
  /** Milliseconds before answering (the request is held open meanwhile). */
  delayMs: number;
  /** Answer every request with this HTTP status instead (e.g. 500, 429). */
  failStatus?: 500 | 429 | 503 | 400;
  finishReason: "stop" | "length";
  /** Moderation: inputs containing one of these (case-insensitive) are flagged as `violence`. */
  moderationFlagWords: string[];
  moderationDelayMs: number;
  moderationFailStatus?: 500 | 429 | 503 | 400;
}

export interface LlmSimulatorOptions extends Partial<LlmSimulatorBehaviour> {
  /** Bearer key the server expects; `null` accepts requests without one. */
  apiKey?: string | null;
  port?: number;
  hostname?: string;
}

export interface RecordedLlmRequest {
  authorization: string | null;
  body: unknown;
  /** true once the simulator sent its answer (success or failure status); false while held or if the client gave up. */
  answered: boolean;
  /** true if the client closed the connection before the answer was sent. */
  abandoned: boolean;
}

export interface LlmSimulator {
  /** Server root, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** What clients use as their base URL: `${url}/v1`. */
  baseUrl: string;
  apiKey: string | null;
  requests: RecordedLlmRequest[];
  /** Inputs received on `/v1/moderations`, in order. */
  moderationInputs: string[];
  /** Requests currently held (delayed, not yet answered). */
  readonly inFlight: number;
  setBehaviour(change: Partial<LlmSimulatorBehaviour>): void;
  stop(): Promise<void>;
}

export const DEFAULT_SIMULATOR_API_KEY = "sim-llm-key";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function errorBody(status: number, message: string, type: string) {
  return Response.json({ error: { message, type, param: null, code: null } }, { status });
}

export async function startLlmSimulator(opts: LlmSimulatorOptions = {}): Promise<LlmSimulator> {
  const behaviour: LlmSimulatorBehaviour = {
    answer: opts.answer ?? "¡Ya casi está la foto, sigamos charlando! 😊",
    delayMs: opts.delayMs ?? 0,
    failStatus: opts.failStatus,
    finishReason: opts.finishReason ?? "stop",
    moderationFlagWords: opts.moderationFlagWords ?? [],
    moderationDelayMs: opts.moderationDelayMs ?? 0,
    moderationFailStatus: opts.moderationFailStatus,
  };
  const moderationInputs: string[] = [];
  const apiKey = opts.apiKey === undefined ? DEFAULT_SIMULATOR_API_KEY : opts.apiKey;
  const requests: RecordedLlmRequest[] = [];
  let inFlight = 0;
  let sequence = 0;

  async function moderate(request: Request): Promise<Response> {
    if (request.method !== "POST") return errorBody(405, "Use POST", "invalid_request_error");
    if (apiKey !== null && request.headers.get("authorization") !== `Bearer ${apiKey}`) return errorBody(401, "Incorrect API key provided.", "invalid_request_error");
    const body = (await request.json().catch(() => null)) as { input?: unknown } | null;
    if (typeof body?.input !== "string") return errorBody(400, "'input' must be a string", "invalid_request_error");
    moderationInputs.push(body.input);
    inFlight++;
    try {
      await sleep(behaviour.moderationDelayMs, request.signal);
      if (request.signal.aborted) return new Response(null, { status: 499 });
      if (behaviour.moderationFailStatus) return errorBody(behaviour.moderationFailStatus, `Simulated ${behaviour.moderationFailStatus}`, "server_error");
      const text = body.input.toLowerCase();
      const flagged = behaviour.moderationFlagWords.some((w) => text.includes(w.toLowerCase()));
      const categories = { sexual: false, "sexual/minors": false, harassment: false, hate: false, "self-harm": false, violence: flagged };
      const scores = Object.fromEntries(Object.entries(categories).map(([name, on]) => [name, on ? 0.97 : 0.01]));
      return Response.json({ id: `modr-sim${++sequence}`, model: "sim-moderation", results: [{ flagged, categories, category_scores: scores }] });
    } finally {
      inFlight--;
    }
  }

  const server = Bun.serve({
    port: opts.port ?? 0,
    hostname: opts.hostname ?? "127.0.0.1",
    // Held requests are the point of the delay option; Bun's default idle timeout would cut them.
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/v1/moderations") return moderate(request);
      if (url.pathname !== "/v1/chat/completions") return errorBody(404, `No route ${url.pathname}`, "invalid_request_error");
      if (request.method !== "POST") return errorBody(405, "Use POST", "invalid_request_error");

      const authorization = request.headers.get("authorization");
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        body = null;
      }
      const record: RecordedLlmRequest = { authorization, body, answered: false, abandoned: false };
      requests.push(record);

      if (apiKey !== null && authorization !== `Bearer ${apiKey}`) {
        record.answered = true;
        return errorBody(401, "Incorrect API key provided.", "invalid_request_error");
      }
      const parsed = body as { model?: unknown; messages?: unknown } | null;
      if (!parsed || !Array.isArray(parsed.messages)) {
        record.answered = true;
        return errorBody(400, "'messages' is required", "invalid_request_error");
      }

      inFlight++;
      try {
        await sleep(behaviour.delayMs, request.signal);
        if (request.signal.aborted) {
          record.abandoned = true;
          return new Response(null, { status: 499 });
        }
        record.answered = true;
        if (behaviour.failStatus) {
          const kind = behaviour.failStatus === 429 ? "rate_limit_exceeded" : "server_error";
          return errorBody(behaviour.failStatus, `Simulated ${behaviour.failStatus}`, kind);
        }
        const messages = parsed.messages as Array<{ role: string; content: string }>;
        const content = typeof behaviour.answer === "function" ? behaviour.answer(messages) : behaviour.answer;
        const model = typeof parsed.model === "string" ? parsed.model : "sim-llm";
        const promptTokens = messages.reduce((n, m) => n + Math.ceil(String(m.content).length / 4), 0);
        const completionTokens = Math.ceil(content.length / 4);
        return Response.json({
          id: `chatcmpl-sim${++sequence}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: "assistant", content }, logprobs: null, finish_reason: behaviour.finishReason }],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        });
      } finally {
        inFlight--;
      }
    },
  });

  const url = `http://${server.hostname}:${server.port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    apiKey,
    requests,
    moderationInputs,
    get inFlight() {
      return inFlight;
    },
    setBehaviour(change) {
      Object.assign(behaviour, change);
    },
    async stop() {
      await server.stop(true);
    },
  };
}

// `bun simulators/llm.ts` runs one on its own, e.g. to point LLM_BASE_URL at while developing.
if (import.meta.main) {
  const simulator = await startLlmSimulator({
    port: Number(process.env.LLM_SIM_PORT || 8089),
    apiKey: process.env.LLM_SIM_API_KEY || DEFAULT_SIMULATOR_API_KEY,
    delayMs: Number(process.env.LLM_SIM_DELAY_MS || 300),
  });
  console.log(`LLM simulator: LLM_BASE_URL=${simulator.baseUrl} LLM_API_KEY=${simulator.apiKey}`);
}
