/**
 * Following one prompt to its end. Two sources race, and whichever settles first wins:
 *  - the shared websocket (fast, carries step progress) — but it can stall silently for hours
 *    or drop, and ComfyUI writes the history entry only *after* `execution_success`, so a done
 *    event is followed by a short history read with retries;
 *  - periodic HTTP polling of /queue then /history (slow, always right), which also reports the
 *    queue position and notices a prompt the instance lost in a restart.
 */
import type { ComfySocket } from "./socket";
import { ComfyExecutionFailed, ComfyInstanceUnavailable, executionFailure } from "./errors";
import { readOutputRefs, type ComfyHistoryEntry, type ComfyOutputRef, type ComfyWsMessage } from "./protocol";

export type ComfyPromptEvent =
  /** Seen waiting in the queue; `position` prompts are ahead of it (the running one included). */
  | { type: "queued"; position: number }
  /** Running (sent on start and again on every poll that still sees it running). */
  | { type: "running" }
  /** One sampler step done. */
  | { type: "progress"; value: number; max: number; node: string | null }
  | { type: "executed"; node: string; images: ComfyOutputRef[] }
  /** A sampler's preview picture (JPEG or PNG bytes, as the instance sent them). */
  | { type: "preview"; image: Uint8Array; mime: "image/jpeg" | "image/png"; node: string | null; framing: 1 | 4 };

export type FollowOutcome =
  | { status: "success"; promptId: string; outputs: ComfyOutputRef[]; entry: ComfyHistoryEntry; /** GPU time, when known. */ gpuMs?: number }
  | { status: "lost"; promptId: string };

/** Where a prompt is on its instance now. */
export type PromptLocation =
  | { state: "running"; number: number }
  | { state: "pending"; number: number; /** Prompts ahead of this one, the running one included. */ position: number }
  | { state: "finished"; entry: ComfyHistoryEntry }
  | { state: "missing" };

/** What following a prompt needs of an instance's client: its socket, two lookups and its timings. */
export interface FollowedInstance {
  readonly name: string;
  readonly url: string;
  readonly socket: ComfySocket;
  readonly pollIntervalMs: number;
  readonly socketStallMs: number;
  readonly unavailableAfterMs: number;
  readonly historyGraceMs: number;
  history(promptId: string, opts?: { signal?: AbortSignal; attempts?: number }): Promise<ComfyHistoryEntry | undefined>;
  locate(promptId: string, opts?: { signal?: AbortSignal; attempts?: number }): Promise<PromptLocation>;
}

export interface FollowOptions {
  signal?: AbortSignal;
}

const HISTORY_RETRY_MS = 100;

export function followPrompt(
  client: FollowedInstance,
  promptId: string,
  onEvent: (event: ComfyPromptEvent) => void,
  opts: FollowOptions = {},
): Promise<FollowOutcome> {
  const { signal } = opts;
  return new Promise<FollowOutcome>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);

    let settled = false;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    let readingHistory = false;
    let startedAt: number | undefined;
    let failingSince: number | undefined;
    let lastStallNudge = 0;
    /** The prompt the socket last said was executing; old builds omit prompt_id on progress. */
    let socketCurrent: string | undefined;

    const emit = (event: ComfyPromptEvent) => {
      try {
        onEvent(event);
      } catch {
        // An observer's failure must not change how the prompt is followed.
      }
    };
    const markRunning = () => {
      startedAt ??= Date.now();
      emit({ type: "running" });
    };

    const cleanup = () => {
      clearTimeout(pollTimer);
      unsubscribe();
      signal?.removeEventListener("abort", onAbort);
    };
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      cleanup();
      fn();
    };
    const fail = (err: unknown) => settle(() => reject(err));

    const settleFromEntry = (entry: ComfyHistoryEntry) => {
      const messages = entry.status?.messages ?? [];
      const errorMessage = messages.find(([event]) => event === "execution_error");
      if (errorMessage) {
        const data = errorMessage[1];
        return fail(
          executionFailure(client.name, {
            prompt_id: promptId,
            node_id: data.node_id === undefined ? undefined : String(data.node_id),
            node_type: typeof data.node_type === "string" ? data.node_type : undefined,
            exception_message: typeof data.exception_message === "string" ? data.exception_message : undefined,
            exception_type: typeof data.exception_type === "string" ? data.exception_type : undefined,
          }),
        );
      }
      if (messages.some(([event]) => event === "execution_interrupted")) return fail(interrupted(client.name, promptId));
      if (entry.status?.status_str === "error") {
        return fail(executionFailure(client.name, { prompt_id: promptId, exception_message: "ComfyUI reported an error without details" }));
      }
      const all = Object.values(entry.outputs).flatMap((output) => readOutputRefs(output.images));
      // SaveImage writes type "output"; previews ("temp") are only a fallback.
      const saved = all.filter((ref) => ref.type === "output");
      const outputs = saved.length ? saved : all;
      if (outputs.length === 0) {
        return fail(executionFailure(client.name, { prompt_id: promptId, exception_message: "the prompt finished without producing an image" }));
      }
      settle(() => resolve({ status: "success", promptId, outputs, entry, gpuMs: gpuMsOf(entry) ?? (startedAt ? Date.now() - startedAt : undefined) }));
    };

    let wakeHistoryRead: (() => void) | undefined;
    /** After the socket says "done": the history entry lands a moment later, so retry briefly. */
    const readHistorySoon = async () => {
      if (readingHistory) return;
      readingHistory = true;
      const deadline = Date.now() + client.historyGraceMs;
      try {
        while (!settled && Date.now() < deadline) {
          const entry = await client.history(promptId, { signal, attempts: 1 });
          if (settled) return;
          if (entry) return settleFromEntry(entry);
          // Sleep, unless the socket's final `executing {node: null}` (sent once history is written)
          // arrives first: then read again at once.
          await new Promise<void>((r) => {
            const timer = setTimeout(r, HISTORY_RETRY_MS);
            wakeHistoryRead = () => {
              clearTimeout(timer);
              r();
            };
          });
          wakeHistoryRead = undefined;
        }
      } catch {
        // Polling carries on and will find it.
      } finally {
        readingHistory = false;
      }
    };

    const onMessage = (message: ComfyWsMessage) => {
      if (settled) return;
      const data = message.data as { prompt_id?: string };
      if (message.type === "executing" && data.prompt_id) socketCurrent = message.data.node === null ? undefined : data.prompt_id;
      const ours = data.prompt_id === promptId || (data.prompt_id === undefined && message.type === "progress" && socketCurrent === promptId);
      if (!ours) return;
      switch (message.type) {
        case "execution_start":
          return markRunning();
        case "executing":
          if (message.data.node === null) {
            if (wakeHistoryRead) wakeHistoryRead();
            else void readHistorySoon();
          }
          else if (startedAt === undefined) markRunning();
          return;
        case "progress":
          startedAt ??= Date.now();
          return emit({ type: "progress", value: Number(message.data.value), max: Number(message.data.max), node: message.data.node ?? null });
        case "executed":
          return emit({ type: "executed", node: message.data.node, images: readOutputRefs(message.data.output?.images) });
        case "preview":
          return emit({ type: "preview", image: message.data.image, mime: message.data.mime, node: message.data.node ?? null, framing: message.data.event });
        case "execution_success":
          return void readHistorySoon();
        case "execution_error":
          return fail(executionFailure(client.name, message.data));
        case "execution_interrupted":
          return fail(interrupted(client.name, promptId, message.data.node_id));
      }
    };

    const onLocation = (where: PromptLocation) => {
      switch (where.state) {
        case "pending":
          return emit({ type: "queued", position: where.position });
        case "running": {
          markRunning();
          // ComfyUI sends nothing between steps, so silence alone proves little; a long one while
          // running is worth a cheap redial (the clientId is kept, so events resume).
          const now = Date.now();
          if (client.socket.isOpen && now - client.socket.lastMessageAt > client.socketStallMs && now - lastStallNudge > client.socketStallMs) {
            lastStallNudge = now;
            client.socket.reconnect();
          }
          return;
        }
        case "finished":
          return settleFromEntry(where.entry);
        case "missing":
          return settle(() => resolve({ status: "lost", promptId }));
      }
    };

    const poll = async () => {
      try {
        const where = await client.locate(promptId, { signal });
        failingSince = undefined;
        if (!settled) onLocation(where);
      } catch (err) {
        if (settled || signal?.aborted) return;
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= client.unavailableAfterMs) {
          return fail(
            err instanceof ComfyInstanceUnavailable
              ? err
              : new ComfyInstanceUnavailable(`ComfyUI instance ${client.name} (${client.url}) stopped answering: ${String((err as Error)?.message ?? err)}`, {
                  instance: client.name,
                  url: client.url,
                  cause: String((err as Error)?.message ?? err),
                }),
          );
        }
      }
      if (!settled) pollTimer = setTimeout(poll, client.pollIntervalMs);
    };

    const unsubscribe = client.socket.subscribe(onMessage);
    const onAbort = () => fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    void poll();
  });
}

function interrupted(instance: string, promptId: string, nodeId?: string): ComfyExecutionFailed {
  return new ComfyExecutionFailed(`ComfyUI ${instance} interrupted the prompt${nodeId ? ` at node ${nodeId}` : ""}`, {
    instance,
    promptId,
    nodeId,
    exceptionType: "interrupted",
  });
}

/** GPU time from the history's own timestamps (milliseconds), when the build records them. */
function gpuMsOf(entry: ComfyHistoryEntry): number | undefined {
  const messages = entry.status?.messages ?? [];
  const at = (event: string) => {
    const ts = messages.find(([e]) => e === event)?.[1]?.timestamp;
    return typeof ts === "number" ? ts : undefined;
  };
  const start = at("execution_start");
  const end = at("execution_success");
  return start !== undefined && end !== undefined && end >= start ? end - start : undefined;
}
