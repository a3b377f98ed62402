/**
 * The job API as a simulator setting. Off (the default, like ComfyUI 0.3.64) an instance has only
 * `/queue` + `/history` and answers the job routes as 0.3.64 does; on, it serves upstream's newer
 * `GET /api/jobs`, `GET /api/jobs/{id}` and `POST /api/jobs/{id}/cancel`, shaped like upstream's
 * jobs module (no 0.3.64 recording can show these: they arrived later).
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { SimInstance } from "../simulators/comfyui";
import { fixture, freshComfy, isJson, postJson, RecordingSocket, stopFreshComfies, type Json } from "./support/comfyRecording";

const CLIENT = "jobs-client";
const comfyWith = (jobsApi: boolean | undefined) => freshComfy(jobsApi === undefined ? {} : { jobsApi });

afterEach(stopFreshComfies);

/** A model-free save graph whose file name is the scenario's, so runs never share a cache entry. */
function saveGraph(prefix: string): Json {
  const graph = structuredClone(fixture("success-model-free").graph);
  graph["2"].inputs.filename_prefix = prefix;
  return graph;
}

/** Ten pixel filters: about ten steps of the instance's step time, stoppable between nodes. */
const chainGraph = (): Json => structuredClone(fixture("interrupt-and-delete").graphs.A);

async function submit(comfy: SimInstance, prompt: Json): Promise<string> {
  const res = await postJson(`${comfy.url}/prompt`, { prompt, client_id: CLIENT });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

async function get(comfy: SimInstance, route: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${comfy.url}${route}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : text };
}

const cancel = async (comfy: SimInstance, id: string) => {
  const res = await fetch(`${comfy.url}/api/jobs/${id}/cancel`, { method: "POST" });
  expect(res.status).toBe(200);
  return ((await res.json()) as { cancelled: boolean }).cancelled;
};

describe("without the job API (the default, like 0.3.64)", () => {
  test("the job routes answer like 0.3.64 and /queue + /history locate prompts; prompts carry no create_time", async () => {
    const comfy = await comfyWith(undefined);
    const socket = await RecordingSocket.open(comfy.url, CLIENT);
    const id = await submit(comfy, saveGraph("plain"));
    await socket.finished(id);
    expect(await get(comfy, "/api/jobs")).toEqual({ status: 404, body: "" });
    expect(await get(comfy, `/api/jobs/${id}`)).toEqual({ status: 404, body: "" });
    const cancelRes = await fetch(`${comfy.url}/api/jobs/${id}/cancel`, { method: "POST" });
    expect(cancelRes.status).toBe(405);
    const history = (await get(comfy, `/history/${id}`)).body;
    expect(history[id].status.status_str).toBe("success");
    expect(history[id].prompt[3]).toEqual({ client_id: CLIENT });
    socket.close();
  });

  test("jobsApi: false is the same as leaving it out", async () => {
    const comfy = await comfyWith(false);
    expect((await get(comfy, "/api/jobs")).status).toBe(404);
  });
});

describe("with the job API", () => {
  test("the list covers running, pending and finished prompts, newest first, with upstream's fields", async () => {
    const comfy = await comfyWith(true);
    const socket = await RecordingSocket.open(comfy.url, CLIENT);
    const completed = await submit(comfy, saveGraph("completed"));
    await socket.finished(completed);
    comfy.failNext(1, { message: "CUDA error: out of memory", nodeType: "SaveImage" });
    const failed = await submit(comfy, saveGraph("failed"));
    await socket.finished(failed);
    comfy.setStepMs(100);
    const running = await submit(comfy, chainGraph());
    await socket.waitFor((f) => isJson(f) && f.type === "executing" && f.data.prompt_id === running);
    // create_time has millisecond resolution; ties keep the list's own order (running before pending).
    await Bun.sleep(2);
    const pending = await submit(comfy, saveGraph("pending"));

    const { status, body } = await get(comfy, "/api/jobs");
    expect(status).toBe(200);
    expect(body.pagination).toEqual({ offset: 0, limit: null, total: 4, has_more: false });
    expect(body.jobs.map((job: Json) => [job.id, job.status])).toEqual([
      [pending, "pending"],
      [running, "in_progress"],
      [failed, "failed"],
      [completed, "completed"],
    ]);
    const byId = Object.fromEntries(body.jobs.map((job: Json) => [job.id, job]));
    expect(Object.keys(byId[pending]).sort()).toEqual(["create_time", "id", "outputs_count", "previewable_outputs_count", "priority", "status"]);
    expect(byId[pending].outputs_count).toBe(0);
    expect(typeof byId[pending].create_time).toBe("number");
    expect(byId[completed]).toMatchObject({
      outputs_count: 1,
      previewable_outputs_count: 1,
      preview_output: { filename: "completed_00001_.png", subfolder: "", type: "output", nodeId: "2", mediaType: "images" },
    });
    expect(byId[completed].execution_end_time).toBeGreaterThanOrEqual(byId[completed].execution_start_time);
    expect(byId[completed]).not.toHaveProperty("outputs");
    expect(byId[failed].execution_error).toMatchObject({ node_type: "SaveImage", exception_message: "CUDA error: out of memory" });
    expect(byId[failed].outputs_count).toBe(0);

    expect((await get(comfy, "/api/jobs?status=pending,in_progress")).body.jobs.map((job: Json) => job.id)).toEqual([pending, running]);
    expect((await get(comfy, "/api/jobs?sort_order=asc&limit=2")).body).toMatchObject({
      jobs: [{ id: completed }, { id: failed }],
      pagination: { offset: 0, limit: 2, total: 4, has_more: true },
    });
    expect((await get(comfy, "/api/jobs?limit=1&offset=3")).body).toMatchObject({ jobs: [{ id: completed }], pagination: { has_more: false } });
    expect(await get(comfy, "/api/jobs?status=done")).toEqual({
      status: 400,
      body: { error: "Invalid status value(s): done. Valid values: pending, in_progress, completed, failed, cancelled" },
    });
    expect(await get(comfy, "/api/jobs?limit=0")).toEqual({ status: 400, body: { error: "limit must be a positive integer" } });
    expect(await get(comfy, "/api/jobs?sort_by=name")).toEqual({ status: 400, body: { error: "sort_by must be 'created_at' or 'execution_duration'" } });

    // Builds with the job API stamp create_time into the queue item's extra_data, so /queue shows it too.
    const queue = (await get(comfy, "/queue")).body;
    expect(Object.keys(queue.queue_pending[0][3]).sort()).toEqual(["client_id", "create_time"]);
    comfy.setStepMs(5);
    await socket.finished(pending);
    socket.close();
  });

  test("one job by id: full detail from history, the workflow while queued, 404 when unknown", async () => {
    const comfy = await comfyWith(true);
    const socket = await RecordingSocket.open(comfy.url, CLIENT);
    const graph = saveGraph("detail");
    const done = await submit(comfy, graph);
    await socket.finished(done);
    const job = (await get(comfy, `/api/jobs/${done}`)).body;
    expect(job).toMatchObject({ id: done, status: "completed", outputs_count: 1 });
    expect(job.outputs).toEqual({ "2": { images: [{ filename: "detail_00001_.png", subfolder: "", type: "output" }] } });
    expect(job.execution_status.status_str).toBe("success");
    expect(job.workflow.prompt).toEqual(graph);
    expect(job.workflow.extra_data.client_id).toBe(CLIENT);

    comfy.setStepMs(100);
    const running = await submit(comfy, chainGraph());
    const pending = await submit(comfy, saveGraph("queued"));
    expect((await get(comfy, `/api/jobs/${pending}`)).body).toMatchObject({ id: pending, status: "pending", workflow: { prompt: saveGraph("queued") } });
    expect((await get(comfy, `/api/jobs/${running}`)).body.status).toBe("in_progress");
    expect(await get(comfy, "/api/jobs/not-a-job")).toEqual({ status: 404, body: { error: "Job not found" } });
    comfy.setStepMs(5);
    await socket.finished(pending);
    socket.close();
  });

  test("cancel, one id or a batch, dequeues a pending job, interrupts a running one, and is a no-op for finished or unknown ids", async () => {
    const comfy = await comfyWith(true);
    const socket = await RecordingSocket.open(comfy.url, CLIENT);
    comfy.setStepMs(60);
    const running = await submit(comfy, chainGraph());
    const pending = await submit(comfy, saveGraph("never"));
    await socket.waitFor((f) => isJson(f) && f.type === "executing" && f.data.prompt_id === running);
    const batch = async (body: unknown) => {
      const res = await postJson(`${comfy.url}/api/jobs/cancel`, body);
      return { status: res.status, body: await res.json() };
    };
    // The batch form checks every id before cancelling any.
    expect(await batch({ job_ids: [pending, "not-a-uuid"] })).toEqual({ status: 400, body: { error: "job_ids contains invalid id(s)", invalid_ids: ["not-a-uuid"] } });
    expect(await batch({ job_ids: "all" })).toEqual({ status: 400, body: { error: "job_ids must be a list" } });
    expect(await batch({ job_ids: [pending, crypto.randomUUID()] })).toEqual({ status: 200, body: { cancelled: true } });
    expect(await cancel(comfy, running)).toBe(true);
    await socket.finished(running);
    comfy.setStepMs(5);
    expect(await cancel(comfy, running)).toBe(false);
    expect(await cancel(comfy, "not-a-job")).toBe(false);
    expect(comfy.runs.some((r) => r.promptId === pending)).toBe(false);
    expect(socket.json().some((f) => f.type === "execution_interrupted" && f.data.prompt_id === running)).toBe(true);
    expect(await batch({ job_ids: [running, pending] })).toEqual({ status: 200, body: { cancelled: false } });
    // An interrupted prompt is "cancelled" in the job API (history's status_str says only "error").
    expect((await get(comfy, `/api/jobs/${running}`)).body.status).toBe("cancelled");
    expect((await get(comfy, `/api/jobs/${pending}`)).status).toBe(404);
    socket.close();
  });
});
