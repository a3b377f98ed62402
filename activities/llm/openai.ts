/**
 * The smallest OpenAI-compatible chat-completions client darkroom needs: one request, one answer.
 * Works with OpenAI, OpenRouter, vLLM, llama.cpp server, Ollama's /v1 and the like.
 */

export interface ChatEndpoint {
  /** e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  apiKey?: string;
  model: string;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
}

export interface ChatAnswer {
  content: string;
  /** `length` means the model was cut off mid-answer. */
  finishReason: string | null;
}

export class LlmRequestError extends Error {
  override readonly name = "LlmRequestError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface CompletionBody {
  choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>;
}

export async function createChatCompletion(endpoint: ChatEndpoint, request: ChatRequest, signal?: AbortSignal): Promise<ChatAnswer> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  const response = await fetch(`${endpoint.baseUrl.replace(/\/+$/u, "")}/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: endpoint.model,
      messages: request.messages,
      max_tokens: request.maxTokens,
      temperature: request.temperature,
    }),
    signal,
  });
  if (!response.ok) {
    // The body may explain (quota, bad model name); keep a little of it for the log line.
    const detail = (await response.text().catch(() => "")).slice(0, 200);
    throw new LlmRequestError(`LLM answered HTTP ${response.status}${detail ? `: ${detail}` : ""}`, response.status);
  }
  let body: CompletionBody;
  try {
    body = (await response.json()) as CompletionBody;
  } catch {
    throw new LlmRequestError("LLM answered with something that is not JSON");
  }
  const choice = body.choices?.[0];
  if (typeof choice?.message?.content !== "string") throw new LlmRequestError("LLM answer has no choices[0].message.content");
  return {
    content: choice.message.content,
    finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null,
  };
}
