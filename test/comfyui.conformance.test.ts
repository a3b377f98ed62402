/**
 * The ComfyUI simulator against recordings of real ComfyUI 0.3.64 (test/fixtures/comfyui-0.3.64):
 * each scenario runs the recorded graph on a fresh simulated instance over real HTTP and WebSocket,
 * as darkroom's client does, and compares what comes back with what the real server sent. Ids,
 * timestamps, queue numbers and file counters are normalised on both sides; timing is not compared.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { SimInstance } from "../simulators/comfyui";
import {
  freshComfy,
  stopFreshComfies,
  comparable,
  fixture,
  isBinary,
  isJson,
  normalise,
  postJson,
  queueRemaining,
  recorded,
  RecordingSocket,
  type Frame,
  type Json,
} from "./support/comfyRecording";

const CLIENT = "conformance-client";

afterEach(stopFreshComfies);

async function submit(comfy: SimInstance, body: Record<string, unknown>): Promise<{ status: number; body: Json }> {
  const res = await postJson(`${comfy.url}/prompt`, body);
  return { status: res.status, body: await res.json() };
}

async function getJson(url: string): Promise<Json> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.json();
}

/** Runs a graph to its end on its own socket; returns what that socket saw of it, plus the answers. */
async function runGraph(comfy: SimInstance, graph: Json, opts: { featureFlags?: boolean } = {}) {
  const socket = await RecordingSocket.open(comfy.url, CLIENT, opts);
  const submitted = await submit(comfy, { prompt: graph, client_id: CLIENT });
  expect(submitted.status).toBe(200);
  const promptId = submitted.body.prompt_id as string;
  await socket.finished(promptId);
  socket.close();
  const history = await getJson(`${comfy.url}/history/${promptId}`);
  return { socket, promptId, submitted, history };
}

/** A prompt that leaves the given nodes of `graph` in the cache, as the recording's earlier prompts did. */
async function primeCache(comfy: SimInstance, graph: Json, change: (graph: Json) => void): Promise<void> {
  const primer = structuredClone(graph);
  change(primer);
  await runGraph(comfy, primer);
}

function withNumber(body: Json): Json {
  return { ...body, number: "<number>" };
}

function historyShape(history: Json): Json {
  return Object.fromEntries(
    Object.entries(history).map(([id, entry]: [string, Json]) => [id, { ...entry, prompt: ["<number>", ...entry.prompt.slice(1)] }]),
  );
}

/** Compares one finished run with its recording: every frame after the greeting, the submit answer and the history. */
async function expectLikeRecording(comfy: SimInstance, name: string, run: Awaited<ReturnType<typeof runGraph>>) {
  const rec = fixture(name);
  const names = { [run.promptId]: "<prompt>", [CLIENT]: "<client>" };
  expect(normalise(withNumber(run.submitted.body), names)).toEqual(normalise(withNumber(rec.submit.body), {}));
  expect(comparable(normalise(run.socket.frames, names))).toEqual(comparable(normalise(recorded(rec.messages), {})));
  expect(normalise(historyShape(run.history), names)).toEqual(normalise(historyShape(rec.history), {}));
  for (const view of rec.views) {
    const saved = Object.values(run.history[run.promptId].outputs as Record<string, { images: Array<{ filename: string }> }>)[0]?.images[0];
    const res = await fetch(`${comfy.url}/view?filename=${saved?.filename}&subfolder=&type=output`);
    expect(res.status).toBe(view.status);
    expect(res.headers.get("content-type")).toBe(view.content_type);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 8).toString("hex")).toBe(view.magic);
  }
}

describe("a successful prompt", () => {
  test("a model-free graph: progress_state around each node, executed, success, status, then executing null", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("success-model-free");
    await expectLikeRecording(comfy, "success-model-free", await runGraph(comfy, rec.graph));
  });

  test("a text output: executed carries { text: [...] } and history keeps it", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("success-text-output");
    await expectLikeRecording(comfy, "success-text-output", await runGraph(comfy, rec.graph));
  });

  test("a sampler without the handshake: per-step progress_state and progress, each followed by a binary event 1 JPEG preview", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("success-previews-legacy");
    const run = await runGraph(comfy, rec.graph);
    await expectLikeRecording(comfy, "success-previews-legacy", run);
    const previews = run.socket.frames.filter(isBinary);
    expect(previews).toHaveLength(12);
    expect(previews.every((f) => f.binary.event === 1 && f.binary.image_type === 1)).toBe(true);
  });

  test("a sampler after the feature_flags handshake: the server answers with its flags and sends event 4 previews with metadata before each progress", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("success-previews-metadata");
    // The recording's loaders (1, 2, 3, 5) were cached by an earlier prompt with another seed.
    await primeCache(comfy, rec.graph, (g) => {
      g["4"].inputs.seed = 98;
      g["7"].inputs.filename_prefix = "primer";
    });
    const run = await runGraph(comfy, rec.graph, { featureFlags: true });
    await expectLikeRecording(comfy, "success-previews-metadata", run);
    const previews = run.socket.frames.filter(isBinary);
    expect(previews).toHaveLength(3);
    for (const { binary } of previews) {
      expect(binary.event).toBe(4);
      expect(binary.image_magic?.slice(0, 6)).toBe("ffd8ff");
      // Same prompt id length as the recording's, so the same 166-byte metadata.
      expect(binary.metadata_length).toBe(166);
      expect(binary.metadata).toEqual({ node_id: "4", prompt_id: run.promptId, display_node_id: "4", parent_node_id: null, real_node_id: "4", image_type: "image/jpeg" });
    }
  });
});

describe("the cache", () => {
  test("the same graph again at once: every node cached, no executing, executed replays the old file, no new file", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("cached-rerun");
    const first = await runGraph(comfy, rec.graph);
    const again = await runGraph(comfy, rec.graph);
    await expectLikeRecording(comfy, "cached-rerun", again);
    const file = (run: typeof first) => run.history[run.promptId].outputs["2"].images[0].filename;
    expect(file(again)).toBe(file(first));
    expect((await fetch(`${comfy.url}/view?filename=probe_empty_00002_.png&type=output`)).status).toBe(404);
    expect(comfy.runs.at(-1)?.steps).toBe(0);
  });
});

describe("failures", () => {
  test("an error at run time: execution_error with the node, no success, history error with empty outputs", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("execution-error");
    await primeCache(comfy, rec.graph, (g) => {
      g["2"].inputs.filename_prefix = "primer";
    });
    const run = await runGraph(comfy, rec.graph);
    const names = { [run.promptId]: "<prompt>", [CLIENT]: "<client>" };
    // The exception text names the server's folders, the traceback its source lines and the
    // current inputs a tensor's repr: compare those by shape and first line, the rest exactly.
    const errorShape = (frames: Frame[]) =>
      frames.map((f) => {
        if (!isJson(f) || f.type !== "execution_error") return f;
        const { exception_message, traceback, current_inputs, current_outputs, ...rest } = f.data;
        return {
          type: f.type,
          data: {
            ...rest,
            exception_message: String(exception_message).split("\n")[0],
            traceback: (traceback as unknown[]).every((line) => typeof line === "string"),
            current_inputs: Object.keys(current_inputs).sort(),
            current_outputs: [...current_outputs].sort(),
          },
        };
      });
    expect(errorShape(normalise(run.socket.frames, names))).toEqual(errorShape(normalise(recorded(rec.messages), {})));
    const entry = run.history[run.promptId];
    const recordedEntry = rec.history["<prompt>"];
    expect(entry.status.status_str).toBe(recordedEntry.status.status_str);
    expect(entry.status.completed).toBe(recordedEntry.status.completed);
    expect(entry.outputs).toEqual(recordedEntry.outputs);
    expect(entry.status.messages.map(([event]: [string]) => event)).toEqual(recordedEntry.status.messages.map(([event]: [string]) => event));
  });

  test("every refused or partly accepted POST /prompt answers like 0.3.64", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("prompt-errors");
    for (const [name, expected] of Object.entries(rec.cases) as Array<[string, Json]>) {
      const res =
        "request_raw" in expected
          ? await fetch(`${comfy.url}/prompt`, { method: "POST", body: expected.request_raw })
          : await postJson(`${comfy.url}/prompt`, expected.request);
      expect({ name, status: res.status, contentType: res.headers.get("content-type")?.split(";")[0] }).toEqual({
        name,
        status: expected.status,
        contentType: expected.content_type,
      });
      const body = expected.content_type === "application/json" ? await res.json() : await res.text();
      if (typeof body !== "object") {
        expect(body).toBe(expected.body);
        continue;
      }
      const names = body.prompt_id ? { [body.prompt_id]: expected.body.prompt_id } : {};
      const tracebacks = (value: Json): Json =>
        JSON.parse(JSON.stringify(value), (key, v) => (key === "traceback" && Array.isArray(v) ? v.every((line) => typeof line === "string") : v));
      const normalisedBody = tracebacks(normalise(body, names));
      if ("number" in normalisedBody) normalisedBody.number = "<number>";
      expect({ name, body: normalisedBody }).toEqual({ name, body: tracebacks(expected.body) });
    }
    // The partly valid graph runs only its valid output.
    const partial = comfy.submitted.at(-2) as string;
    const queued = (await getJson(`${comfy.url}/queue`)) as Json;
    const item = [...queued.queue_running, ...queued.queue_pending].find((i: Json) => i[1] === partial);
    const history = await getJson(`${comfy.url}/history/${partial}`);
    expect(item?.[4] ?? history[partial]?.prompt[4]).toEqual(["3"]);
  });
});

describe("interrupting and deleting", () => {
  test("a running chain, a queued prompt deleted, a front prompt with its own id, an interrupt for the wrong id, then for the running one", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("interrupt-and-delete");
    await primeCache(comfy, { "1": rec.graphs.A["1"], "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "primer" } } }, () => {});
    // Slow enough that every request below lands while A is still running, however loaded the machine.
    comfy.setStepMs(250);
    const client = await RecordingSocket.open(comfy.url, CLIENT);
    const observer = await RecordingSocket.open(comfy.url, "conformance-observer");
    const a = await submit(comfy, { prompt: rec.graphs.A, client_id: CLIENT });
    const A = a.body.prompt_id as string;
    await client.waitFor((f) => isJson(f) && f.type === "executing" && f.data.node === "2");
    const b = await submit(comfy, { prompt: rec.graphs.B, client_id: CLIENT });
    const B = b.body.prompt_id as string;
    const c = await submit(comfy, { prompt: rec.graphs.C, client_id: CLIENT, prompt_id: "my-own-id-123", front: true });
    const names = { [A]: "<prompt:A>", [B]: "<prompt:B>", "my-own-id-123": "<prompt:C>", [CLIENT]: "<client>", "conformance-observer": "<observer>" };
    expect(c.status).toBe(rec.steps.post_C.status);
    expect(normalise(c.body, names)).toMatchObject({ prompt_id: "<prompt:C>", node_errors: {} });
    expect(c.body.number).toBeLessThan(0);

    const before = await getJson(`${comfy.url}/queue`);
    expect(normalise(before.queue_running.map((i: Json) => i[1]), names)).toEqual(rec.steps.queue_before.running.map((i: Json) => i[1]));
    expect(normalise(before.queue_pending.map((i: Json) => i[1]), names)).toEqual(rec.steps.queue_before.pending.map((i: Json) => i[1]));
    expect(before.queue_running.map((i: Json) => i.length)).toEqual(rec.steps.queue_before.running_item_len);
    expect(normalise(before.queue_running[0][3], names)).toEqual(rec.steps.queue_before.sample_extra);

    const deleted = await postJson(`${comfy.url}/queue`, { delete: [B] });
    expect([deleted.status, await deleted.text()]).toEqual([rec.steps.delete_B.status, rec.steps.delete_B.body]);
    const after = await getJson(`${comfy.url}/queue`);
    expect(normalise({ running: after.queue_running.map((i: Json) => i[1]), pending: after.queue_pending.map((i: Json) => i[1]) }, names)).toEqual(
      rec.steps.queue_after_delete,
    );

    const wrong = await postJson(`${comfy.url}/interrupt`, { prompt_id: "my-own-id-123" });
    expect([wrong.status, await wrong.text()]).toEqual([rec.steps.interrupt_not_running_C.status, rec.steps.interrupt_not_running_C.body]);
    await client.waitFor((f) => isJson(f) && f.type === "executing" && f.data.node === "4");
    const stop = await postJson(`${comfy.url}/interrupt`, { prompt_id: A });
    expect([stop.status, await stop.text()]).toEqual([rec.steps.interrupt_A.status, rec.steps.interrupt_A.body]);
    comfy.setStepMs(5);
    await client.finished("my-own-id-123");
    await observer.waitFor(() => queueRemaining(observer.frames).length === queueRemaining(recorded(rec.observer_messages)).length);

    // Every socket sees the same status broadcasts: queued, started, B and C added, B deleted, A ended, C started, C ended.
    expect(queueRemaining(observer.frames)).toEqual(queueRemaining(recorded(rec.observer_messages)));
    expect(queueRemaining(client.frames)).toEqual(queueRemaining(recorded(rec.client_messages)));
    expect(new Set(observer.json().map((f) => f.type))).toEqual(new Set(["status"]));

    const byPrompt = (frames: Frame[], id: string) => frames.filter(isJson).filter((f) => f.type !== "status" && f.data.prompt_id === id);
    const sim = normalise(client.frames, names) as Frame[];
    const real = normalise(recorded(rec.client_messages), {}) as Frame[];
    // C ran after A, with nothing cached: identical frame for frame.
    expect(byPrompt(sim, "<prompt:C>")).toEqual(byPrompt(real, "<prompt:C>"));

    // A: start, cached, node after node, then interrupted at the node that was starting, then done.
    // Which node the interrupt lands on is timing, so both runs are checked against the same model
    // of an interrupted chain, each at its own node; the model must describe the recording exactly.
    const tokens = (frames: Frame[]) =>
      byPrompt(frames, "<prompt:A>").map((f) => {
        if (f.type === "execution_cached") return `cached:${f.data.nodes.join(",")}`;
        if (f.type === "executing") return `executing:${f.data.node}`;
        if (f.type === "progress_state") return `progress_state:${Object.entries(f.data.nodes).map(([id, state]: [string, Json]) => `${id}=${state.state}`).join(",")}`;
        if (f.type === "execution_interrupted") return `interrupted:${f.data.node_id}:${f.data.node_type}:${[...f.data.executed].sort().join(",")}`;
        return f.type;
      });
    const chain = ["2", "3", "4", "5", "6", "7", "8", "9", "10", "11"];
    const interruptedAt = (stop: string): string[] => {
      const out = ["execution_start", "cached:1"];
      const done: string[] = [];
      const states = (running?: string) => `progress_state:${[...done.map((n) => `${n}=finished`), ...(running ? [`${running}=running`] : [])].join(",")}`;
      for (const node of chain) {
        out.push(states(node), `executing:${node}`);
        if (node === stop) return [...out, `interrupted:${node}:${rec.graphs.A[node].class_type}:${[...done].sort().join(",")}`, "executing:null"];
        done.push(node);
        out.push(states());
      }
      return out;
    };
    const stopNode = (t: string[]) => t.find((s) => s.startsWith("interrupted:"))?.split(":")[1] ?? "none";
    expect(tokens(real)).toEqual(interruptedAt(stopNode(tokens(real))));
    expect(tokens(sim)).toEqual(interruptedAt(stopNode(tokens(sim))));

    const historyA = normalise(await getJson(`${comfy.url}/history/${A}`), names)["<prompt:A>"];
    const recordedA = rec.history.A["<prompt:A>"];
    expect(historyA.outputs).toEqual(recordedA.outputs);
    expect([historyA.status.status_str, historyA.status.completed]).toEqual([recordedA.status.status_str, recordedA.status.completed]);
    expect(historyA.status.messages.map(([event]: [string]) => event)).toEqual(recordedA.status.messages.map(([event]: [string]) => event));
    expect(historyA.status.messages[1][1].nodes).toEqual(recordedA.status.messages[1][1].nodes);
    expect(await getJson(`${comfy.url}/history/${B}`)).toEqual(rec.history.B);
    const historyC = normalise(await getJson(`${comfy.url}/history/my-own-id-123`), names)["<prompt:C>"];
    expect(historyC.status).toEqual(rec.history.C_status);
    client.close();
    observer.close();
  });

  test("a running sampler stops at its next step: execution_interrupted names it, history is error and incomplete", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("interrupt-sampler");
    await primeCache(comfy, rec.graph, (g) => {
      g["4"].inputs.seed = 4321;
      g["7"].inputs.filename_prefix = "primer";
    });
    comfy.setStepMs(40);
    const socket = await RecordingSocket.open(comfy.url, CLIENT);
    const submitted = await submit(comfy, { prompt: rec.graph, client_id: CLIENT });
    const promptId = submitted.body.prompt_id as string;
    await socket.waitFor((f) => isJson(f) && f.type === "progress" && f.data.value === 10);
    await postJson(`${comfy.url}/interrupt`, { prompt_id: promptId });
    await socket.finished(promptId);
    const names = { [promptId]: "<prompt>", [CLIENT]: "<client>" };
    const sim = comparable(normalise(socket.frames, names));
    const real = comparable(normalise(recorded(rec.messages), {}));
    // Steps are progress_state, progress, preview; how many ran before the interrupt is timing.
    const isStep = (f: Frame) => (isJson(f) && f.type === "progress") || isBinary(f) || (isJson(f) && f.type === "progress_state" && f.data.nodes["4"]?.value > 0);
    const firstStep = (frames: Frame[]) => frames.findIndex(isStep);
    const afterSteps = (frames: Frame[]) => frames.length - [...frames].reverse().findIndex(isStep);
    expect(sim.slice(0, firstStep(sim))).toEqual(real.slice(0, firstStep(real)));
    expect(sim.slice(afterSteps(sim))).toEqual(real.slice(afterSteps(real)));
    const stepBlock = (frames: Frame[]) => frames.slice(firstStep(frames), firstStep(frames) + 3).map((f) => (isBinary(f) ? "binary" : f.type));
    expect(stepBlock(sim)).toEqual(stepBlock(real));
    const history = normalise(await getJson(`${comfy.url}/history/${promptId}`), names)["<prompt>"];
    expect(history.status).toEqual(rec.history_status);
    socket.close();
  });
});

describe("addressing", () => {
  test("a prompt with no client_id: other sockets get status and progress_state only, nothing that names its execution", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("no-client-id");
    const observer = await RecordingSocket.open(comfy.url, "conformance-observer");
    const submitted = await submit(comfy, { prompt: rec.graph });
    const promptId = submitted.body.prompt_id as string;
    while (!(await getJson(`${comfy.url}/history/${promptId}`))[promptId]) await Bun.sleep(10);
    await observer.waitFor(() => queueRemaining(observer.frames).length === queueRemaining(recorded(rec.observer_messages)).length);
    expect(normalise(observer.frames, { [promptId]: "<prompt>", "conformance-observer": "<observer>" })).toEqual(recorded(rec.observer_messages));
    observer.close();
  });

  test("sampler prompts with no client_id: progress, progress_state and event 1 previews reach every socket, and so does execution_interrupted", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("no-client-id-sampler");
    const plain = await RecordingSocket.open(comfy.url, "conformance-observer");
    const flagged = await RecordingSocket.open(comfy.url, "conformance-flagged", { featureFlags: true });
    const first = (await submit(comfy, { prompt: rec.graph })).body.prompt_id as string;
    while (!(await getJson(`${comfy.url}/history/${first}`))[first]) await Bun.sleep(10);
    // The recording's interrupt landed before the sampler's first step; a long step keeps it so here.
    comfy.setStepMs(1000);
    const second = (await submit(comfy, { prompt: rec.interrupted_graph })).body.prompt_id as string;
    await plain.waitFor((f) => isJson(f) && f.type === "progress_state" && f.data.prompt_id === second);
    await postJson(`${comfy.url}/interrupt`, { prompt_id: second });
    while (!(await getJson(`${comfy.url}/history/${second}`))[second]) await Bun.sleep(10);
    const names = { [first]: "<prompt>", [second]: "<prompt:interrupted>", "conformance-observer": "<observer>", "conformance-flagged": "<observer:flags>" };
    for (const [socket, expected] of [
      [plain, rec.observer_messages],
      [flagged, rec.flagged_observer_messages],
    ] as Array<[RecordingSocket, Json[]]>) {
      await socket.waitFor(() => queueRemaining(socket.frames).length === queueRemaining(recorded(expected)).length);
      expect(comparable(normalise(socket.frames, names))).toEqual(comparable(normalise(recorded(expected), {})));
      socket.close();
    }
  });

  test("a socket without clientId gets a made-up sid in its greeting, and prompts submitted with that sid reach it", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("socket-without-client-id");
    const socket = await RecordingSocket.open(comfy.url);
    const sid = (socket.frames[0] as Json).data.sid as string;
    expect(sid).toMatch(new RegExp(rec.sid_pattern));
    const submitted = await submit(comfy, { prompt: rec.graph, client_id: sid });
    await socket.finished(submitted.body.prompt_id);
    expect(normalise(socket.frames, { [sid]: "<sid>", [submitted.body.prompt_id]: "<prompt>" })).toEqual(normalise(recorded(rec.messages), {}));
    socket.close();
  });

  test("a second socket with the same clientId, opened before the first closed, hears nothing once the first closes", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("reconnect-same-client-id");
    const old = await RecordingSocket.open(comfy.url, CLIENT);
    const replacement = await RecordingSocket.open(comfy.url, CLIENT);
    const observer = await RecordingSocket.open(comfy.url, "conformance-observer");
    expect(normalise(old.frames[0], { [CLIENT]: "<client>" })).toEqual(rec.old_socket_greeting);
    old.close();
    await old.closed;
    // A connection opened after the close has been answered is handled after it, so by its greeting
    // the server has dropped the sid.
    (await RecordingSocket.open(comfy.url, "conformance-latecomer")).close();
    const submitted = await submit(comfy, { prompt: fixture("success-model-free").graph, client_id: CLIENT });
    expect(submitted.status).toBe(rec.submit.status);
    while (!(await getJson(`${comfy.url}/history/${submitted.body.prompt_id}`))[submitted.body.prompt_id]) await Bun.sleep(10);
    await observer.waitFor(() => queueRemaining(observer.frames).at(-1) === 0 && queueRemaining(observer.frames).length > 1);
    expect(normalise(replacement.frames, { [CLIENT]: "<client>" })).toEqual(recorded(rec.new_socket_messages));
    replacement.close();
    observer.close();
  });
});

describe("the instance itself", () => {
  test("a restart loses the running and pending prompts and the history, and a reconnecting socket is told nothing", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("restart");
    const graphs = { done: fixture("no-client-id").graph, running: fixture("interrupt-and-delete").graphs.A, pending: fixture("success-model-free").graph };
    const done = await runGraph(comfy, graphs.done);
    comfy.setStepMs(200);
    const socket = await RecordingSocket.open(comfy.url, CLIENT);
    const running = (await submit(comfy, { prompt: graphs.running, client_id: CLIENT })).body.prompt_id as string;
    const pending = (await submit(comfy, { prompt: graphs.pending, client_id: CLIENT })).body.prompt_id as string;
    await socket.waitFor((f) => isJson(f) && f.type === "executing" && f.data.prompt_id === running && f.data.node === "3");
    const names = { [done.promptId]: "<prompt:done>", [running]: "<prompt:running>", [pending]: "<prompt:pending>", [CLIENT]: "<client>" };
    const queue = normalise(await getJson(`${comfy.url}/queue`), names);
    expect({ running: queue.queue_running.map((i: Json) => i[1]), pending: queue.queue_pending.map((i: Json) => i[1]) }).toEqual({
      running: rec.before_kill.queue.queue_running.map((i: Json) => i[1]),
      pending: rec.before_kill.queue.queue_pending.map((i: Json) => i[1]),
    });
    expect(Object.keys(normalise(await getJson(`${comfy.url}/history`), names))).toEqual(
      rec.before_kill.history_ids.filter((id: string) => id.startsWith("<prompt:")),
    );

    await comfy.restart();
    comfy.setStepMs(5);
    await socket.closed;
    const after = {
      queue: await getJson(`${comfy.url}/queue`),
      history: await getJson(`${comfy.url}/history`),
      history_done: await getJson(`${comfy.url}/history/${done.promptId}`),
      history_running: await getJson(`${comfy.url}/history/${running}`),
      prompt: await getJson(`${comfy.url}/prompt`),
    };
    expect(after).toEqual(rec.after_restart);
    const fresh = await RecordingSocket.open(comfy.url, CLIENT);
    expect(normalise(fresh.frames, names)).toEqual(recorded(rec.socket_after_restart));
    fresh.close();
  });

  test("/object_info answers each class like 0.3.64, in both input-spec forms", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("object-info");
    const info = await getJson(`${comfy.url}/object_info`);
    // Model and image lists depend on the install; everything else must be upstream's.
    const FILE_INPUTS = new Set(["ckpt_name", "lora_name", "unet_name", "vae_name", "image"]);
    const withoutLists = (entry: Json) => {
      const required = Object.fromEntries(
        Object.entries(entry.input.required).map(([name, spec]: [string, Json]) => [name, FILE_INPUTS.has(name) && Array.isArray(spec[0]) ? ["<list>", ...spec.slice(1)] : spec]),
      );
      return { ...entry, input: { ...entry.input, required } };
    };
    for (const [name, entry] of Object.entries(rec.classes) as Array<[string, Json]>) {
      expect({ name, entry: withoutLists(info[name]) }).toEqual({ name, entry: withoutLists(entry) });
    }
    // The classic tuple form and the newer one side by side, as a client parsing object_info meets them.
    expect(info.KSampler.input.required.sampler_name[0]).toContain("euler");
    expect(info.ImageBlur.input.required.image).toEqual(["IMAGE", {}]);
    expect(info.ImageScaleToTotalPixels.input.required.upscale_method[0]).toBe("COMBO");
    expect(info.ImageScaleToTotalPixels.input.required.upscale_method[1].options).toContain("lanczos");
    const one = await getJson(`${comfy.url}${rec.per_class_route.path}`);
    expect(Object.keys(one)).toEqual(rec.per_class_route.class_names);
  });

  test("small routes: features, no job API, interrupt and delete that match nothing, /view refusals", async () => {
    const comfy = await freshComfy({ historyDelayMs: 20 });
    const rec = fixture("http-routes");
    for (const [route, expected] of Object.entries(rec.routes) as Array<[string, Json]>) {
      const [method, ...rest] = route.split(" ");
      const target = rest[0] as string;
      const body = rest.slice(1).join(" ");
      const res =
        method === "GET" ? await fetch(`${comfy.url}${target}`) : await postJson(`${comfy.url}${target}`, body === "null" ? {} : JSON.parse(body));
      const text = await res.text();
      expect({ route, status: res.status }).toEqual({ route, status: expected.status });
      if (expected.content_type === "application/json") expect({ route, body: JSON.parse(text) }).toEqual({ route, body: expected.body });
      else expect({ route, body: text }).toEqual({ route, body: expected.body });
    }
  });
});
