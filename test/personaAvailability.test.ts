/**
 * A persona whose checkpoint no ComfyUI instance has does not stop darkroom: the service starts,
 * lists the persona unavailable with the reason, names it in /readyz while staying ready, refuses
 * the requests that need it (a dialog message, a companion photo naming it) with the missing file —
 * and every other persona keeps working. Installing the checkpoint on the instance makes the persona
 * available by itself, and its photo then completes. Whole stack: real Temporal, API, workers and
 * the ComfyUI simulator.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../lib/config";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const MISSING = "nova_portrait_v1.safetensors";
let stack: Stack;
let personasDir: string;

/** The shipped personas, plus NOVA: LINA's template with a checkpoint no instance has yet. */
function personasWithNova(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-nova-"));
  fs.cpSync(loadConfig({}).chatImages.personasDir, dir, { recursive: true });
  const lina = JSON.parse(fs.readFileSync(path.join(dir, "LINA.json"), "utf8"));
  fs.writeFileSync(
    path.join(dir, "NOVA.json"),
    JSON.stringify({ ...lina, id: "NOVA", name: "Nova", checkpoint: MISSING, workflow: "workflows/NOVA.json" }),
  );
  const graph = fs.readFileSync(path.join(dir, "workflows/LINA.json"), "utf8").replaceAll(lina.checkpoint, MISSING);
  fs.writeFileSync(path.join(dir, "workflows/NOVA.json"), graph);
  return dir;
}

beforeAll(async () => {
  personasDir = personasWithNova();
  // Starting at all is the first assertion: a persona the pool cannot serve used to stop the start.
  stack = await startStack({ instances: 1, env: { PERSONAS_DIR: personasDir, DIALOG_IMAGE_EVERY: "50" } });
});
afterAll(async () => {
  await stack?.stop();
  fs.rmSync(personasDir, { recursive: true, force: true });
});

async function personas(): Promise<Array<{ id: string; available: boolean; unavailableReason?: string }>> {
  const res = await stack.request("GET", "/v1/personas");
  expect(res.status).toBe(200);
  return res.body.personas;
}

function companionPhoto(personaId: string, user: string) {
  return stack.request("POST", `/v1/agents/${personaId.toLowerCase()}/replies`, {
    userId: user,
    text: "[IMAGE: selfie en la playa]",
    persona: { id: personaId, name: personaId, personality: "alegre", language: "es" },
  });
}

async function completed(id: string) {
  return eventually(async () => {
    const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
    return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
  }, `generation ${id} to finish`);
}

describe("a persona whose checkpoint no instance has", () => {
  test("is listed unavailable with the reason; the others are available", async () => {
    const list = await personas();
    expect(list.find((p) => p.id === "NOVA")).toMatchObject({ available: false, unavailableReason: `no instance has checkpoint "${MISSING}"` });
    expect(list.filter((p) => p.id !== "NOVA").every((p) => p.available && p.unavailableReason === undefined)).toBe(true);
  });

  test("is named in /readyz, which stays ready", async () => {
    const res = await fetch(`${stack.api}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: { personas: { ok: boolean; unavailable: Array<{ id: string; reason: string }> } } };
    expect(body.status).toBe("ready");
    expect(body.checks.personas).toEqual({ ok: true, unavailable: [{ id: "NOVA", reason: `no instance has checkpoint "${MISSING}"` }] });
  });

  test("its dialog messages and companion photos are refused naming the missing file; another persona's photo completes", async () => {
    const dialog = await stack.request("POST", "/v1/dialogs/nova-dialog/messages", { role: "user", text: "hola", persona: "nova" });
    expect(dialog.status).toBe(409);
    expect(dialog.body.error.code).toBe("persona_unavailable");
    expect(dialog.body.error.message).toContain(MISSING);

    const photo = await companionPhoto("NOVA", "nova-user");
    expect(photo.status).toBe(409);
    expect(photo.body.error.code).toBe("persona_unavailable");
    expect(photo.body.error.message).toContain(MISSING);
    // Nothing was started for the refused photo.
    expect(await stack.db.prisma.generation.count({ where: { userId: "nova-user" } })).toBe(0);

    expect((await stack.request("POST", "/v1/dialogs/lina-dialog/messages", { role: "user", text: "привет", persona: "LINA" })).status).toBe(200);
    const lina = await companionPhoto("LINA", "lina-user");
    expect(lina.status).toBe(200);
    expect((await completed(lina.body.generations[0].id)).status).toBe("completed");
  });

  test("installing the checkpoint on the instance makes it available by itself, and its photo completes", async () => {
    const checkpoints = path.join(stack.sim.instances[0]!.modelsDir, "checkpoints");
    fs.mkdirSync(checkpoints, { recursive: true });
    fs.writeFileSync(path.join(checkpoints, MISSING), "weights");

    await eventually(async () => ((await personas()).find((p) => p.id === "NOVA")?.available ? true : undefined), "NOVA to become available");
    const ready = (await (await fetch(`${stack.api}/readyz`)).json()) as { checks: { personas: { unavailable: unknown[] } } };
    expect(ready.checks.personas.unavailable).toEqual([]);

    const photo = await companionPhoto("NOVA", "nova-user");
    expect(photo.status).toBe(200);
    const done = await completed(photo.body.generations[0].id);
    expect(done.status).toBe("completed");
  });
});
