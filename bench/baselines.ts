/**
 * Baselines measured in the same run as darkroom, so its numbers read as ratios rather than
 * absolutes on a machine whose speed varies:
 *
 * - passThrough: the same graph submitted straight to the same ComfyUI instance over HTTP +
 *   WebSocket (a thin, non-durable wrapper): submit, wait for the prompt to finish, read its history,
 *   fetch the image. Its overhead is the same quantity as darkroom's: wall time minus the instance's
 *   own execution time (execution_start → execution_success in the history).
 * - bareStart: one Temporal workflow start against the same server (no worker involved), the floor
 *   under darkroom's reply, which is one start plus a database write.
 * - photoStart: a reply's own photo started straight from a client, with the input and options the
 *   API gave it: the same start and the same work for the server afterwards, without the API.
 */
import type { Client } from "@temporalio/client";
import { defaultPayloadConverter, type Priority } from "@temporalio/common";
import { companionPhotoWorkflowId, type CompanionPhotoInput } from "../domain/companionPhoto";
import { DarkroomStatus, DarkroomUser, SEARCH_ATTRIBUTES } from "../domain/searchAttributes";
import { loadTemplate, renderTemplate } from "../activities/comfyui/template";

type HistoryEntry = {
  status?: { messages?: Array<[string, { timestamp?: number }]> };
  outputs?: Record<string, { images?: Array<{ filename: string; subfolder: string; type: string }> }>;
};

/** The instance's own execution time for one prompt, from its history. */
function executionMs(entry: HistoryEntry): number {
  const at = (event: string) => entry.status?.messages?.find(([name]) => name === event)?.[1].timestamp;
  const start = at("execution_start");
  const end = at("execution_success");
  return start !== undefined && end !== undefined ? end - start : 0;
}

async function passThroughOnce(url: string, graph: unknown): Promise<{ wallMs: number; executionMs: number }> {
  const clientId = crypto.randomUUID();
  const promptId = crypto.randomUUID();
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws?clientId=${clientId}`);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`no WebSocket to ${url}`));
  });
  try {
    const started = performance.now();
    const finished = new Promise<void>((resolve) => {
      socket.onmessage = (m) => {
        if (typeof m.data !== "string") return;
        const msg = JSON.parse(m.data) as { type: string; data?: { prompt_id?: string } };
        if (msg.type === "execution_success" && msg.data?.prompt_id === promptId) resolve();
      };
    });
    const submitted = await fetch(`${url}/prompt`, { method: "POST", body: JSON.stringify({ prompt: graph, client_id: clientId, prompt_id: promptId }) });
    if (!submitted.ok) throw new Error(`POST /prompt answered ${submitted.status}`);
    await finished;
    // ComfyUI writes the history a moment after execution_success.
    let entry: HistoryEntry | undefined;
    while (!entry) {
      entry = ((await (await fetch(`${url}/history/${promptId}`)).json()) as Record<string, HistoryEntry>)[promptId];
      if (!entry) await Bun.sleep(2);
    }
    const image = Object.values(entry.outputs ?? {}).flatMap((o) => o.images ?? [])[0];
    if (!image) throw new Error("the prompt produced no image");
    const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type });
    await (await fetch(`${url}/view?${query}`)).arrayBuffer();
    return { wallMs: performance.now() - started, executionMs: executionMs(entry) };
  } finally {
    socket.close();
  }
}

/** Overheads (ms) of the thin pass-through, one prompt at a time, on the darkroom photo's own graph. */
export async function passThroughOverheads(url: string, count: number): Promise<number[]> {
  const template = await loadTemplate(undefined);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    // A fresh seed each time, as darkroom draws one: no run is served from the instance's cache.
    const graph = renderTemplate(template, {
      prompt: "selfie en la playa, photo, natural light, detailed, high quality",
      negativePrompt: "blurry, lowres",
      seed: Math.floor(Math.random() * 2 ** 48),
      width: 768,
      height: 1024,
    });
    const run = await passThroughOnce(url, graph);
    out.push(run.wallMs - run.executionMs);
  }
  return out;
}

/** Latencies (ms) of bare workflow starts on a queue no worker polls; the runs are terminated after. */
export async function bareStartLatencies(temporal: Client, count: number): Promise<number[]> {
  const tag = crypto.randomUUID().slice(0, 8);
  const out: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const workflowId = `bench/bare-start/${tag}/${i}`;
    const started = performance.now();
    await temporal.workflow.start("benchBareStart", { taskQueue: `bench-bare-start-${tag}`, workflowId, args: [] });
    out.push(performance.now() - started);
    ids.push(workflowId);
  }
  await Promise.all(ids.map((id) => temporal.workflow.getHandle(id).terminate("benchmark baseline").catch(() => undefined)));
  return out;
}

/**
 * A chat reply's own workflow start as the API made it (workflow, queue, input, priority, search
 * attributes), read back from Temporal, so that a client can start the very same photo directly,
 * without the API: the like-for-like floor of a reply.
 */
export interface PhotoStart {
  workflowType: string;
  taskQueue: string;
  input: CompanionPhotoInput;
  priority: Priority;
  searchAttributes: Array<{ name: string; value: string }>;
}

export async function photoStartOf(temporal: Client, workflowId: string): Promise<PhotoStart> {
  const handle = temporal.workflow.getHandle(workflowId);
  const [description, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new Error(`workflow ${workflowId} has no input in its history`);
  const raw = description.raw.workflowExecutionInfo?.priority;
  return {
    workflowType: description.type,
    taskQueue: description.taskQueue,
    input: defaultPayloadConverter.fromPayload<CompanionPhotoInput>(payload),
    priority: {
      ...(raw?.priorityKey ? { priorityKey: raw.priorityKey } : {}),
      ...(raw?.fairnessKey ? { fairnessKey: raw.fairnessKey } : {}),
      ...(raw?.fairnessWeight ? { fairnessWeight: raw.fairnessWeight } : {}),
    },
    searchAttributes: description.typedSearchAttributes.getAll().map((pair) => ({ name: pair.key.name, value: String(pair.value) })),
  };
}

/**
 * Latencies (ms) of starting `count` photos exactly as the API starts a reply's photo (a new
 * generation id and user each time), straight from this client: the photos are then made by the
 * stack's workers as a reply's are, so the server has the same work as during a reply burst.
 */
export async function photoStartLatencies(temporal: Client, start: PhotoStart, userPrefix: string, count: number): Promise<number[]> {
  const attributes = start.searchAttributes.map(({ name, value }) => {
    const key = SEARCH_ATTRIBUTES.find((k) => k.name === name);
    if (!key) throw new Error(`unknown search attribute ${name}`);
    // The status as the API starts it: the template photo has moved on since.
    return { key, value: key === DarkroomStatus ? "pending" : value };
  });
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const generationId = crypto.randomUUID();
    const userId = `${userPrefix}-${i}`;
    const waiting = start.input.waitingMessage;
    const input: CompanionPhotoInput = { ...start.input, generationId, userId, ...(waiting ? { waitingMessage: { ...waiting, id: crypto.randomUUID() } } : {}) };
    const typedSearchAttributes = attributes.map(({ key, value }) => ({ key, value: key === DarkroomUser ? userId : value }));
    const begun = performance.now();
    await temporal.workflow.start(start.workflowType, {
      taskQueue: start.taskQueue,
      workflowId: companionPhotoWorkflowId(generationId),
      args: [input],
      priority: start.priority,
      typedSearchAttributes,
      workflowIdConflictPolicy: "FAIL",
    });
    out.push(performance.now() - begun);
  }
  return out;
}
