/**
 * A persona's identity kit: reference pictures (img2img from the character's own face) and a LoRA
 * with its weight. The persona files are validated; the picture reaches each ComfyUI instance once
 * (content-addressed name, checked with /view before a job), again only when an instance comes back
 * without it; and its name and the LoRA are in the submitted graph. Real stack and simulator.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inputImageName } from "../activities/comfyui/inputImages";
import { loadAndCheckPersonas, loadPersonas, PersonaInvalid } from "../activities/personas";
import { loadConfig } from "../lib/config";
import { eventually, startStack, type Stack } from "./support/stack";

setDefaultTimeout(180_000);

const shippedDir = loadConfig({}).chatImages.personasDir;
const novaPicture = path.join(shippedDir, "references/NOVA.png");
const novaName = inputImageName(fs.readFileSync(novaPicture));

describe("persona files with an identity kit", () => {
  test("NOVA names its reference picture and LoRA; its template starts from the picture (img2img)", () => {
    const nova = loadPersonas(shippedDir).find("nova")!;
    expect(nova.referenceImages).toEqual([novaPicture]);
    expect(nova.lora).toEqual({ name: "add_detail.safetensors", weight: 0.6 });
    expect(novaName).toMatch(/^darkroom-[0-9a-f]{16}\.png$/);
    expect(nova.identity).toEqual({ referenceFile: novaPicture, referenceImage: novaName, lora: "add_detail.safetensors", loraWeight: 0.6 });
    const nodes = Object.values(nova.template.graph);
    expect(nodes.find((n) => n.class_type === "LoadImage")!.inputs.image).toBe("{{reference_image}}");
    const sampler = nodes.find((n) => n.class_type === "KSampler")!;
    expect(sampler.inputs.denoise).toBeLessThan(1);
  });

  const broken = (change: (persona: Record<string, unknown>, graph: Record<string, any>) => void, message: RegExp) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-kit-"));
    try {
      fs.mkdirSync(path.join(dir, "workflows"));
      fs.mkdirSync(path.join(dir, "references"));
      fs.copyFileSync(novaPicture, path.join(dir, "references/NOVA.png"));
      fs.writeFileSync(path.join(dir, "references/notes.txt"), "not a picture");
      const persona = JSON.parse(fs.readFileSync(path.join(shippedDir, "NOVA.json"), "utf8"));
      const graph = JSON.parse(fs.readFileSync(path.join(shippedDir, "workflows/NOVA.json"), "utf8"));
      change(persona, graph);
      fs.writeFileSync(path.join(dir, "NOVA.json"), JSON.stringify(persona));
      fs.writeFileSync(path.join(dir, "workflows/NOVA.json"), JSON.stringify(graph));
      let error: unknown;
      try {
        loadPersonas(dir);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(PersonaInvalid);
      expect((error as Error).message).toMatch(message);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  test("a picture outside the personas folder, missing, or not a picture is refused, naming it", () => {
    broken((p) => (p.referenceImages = ["../NOVA.png"]), /reference image "\.\.\/NOVA\.png" must be a path inside/);
    broken((p) => (p.referenceImages = [path.join(shippedDir, "references/NOVA.png")]), /must be a path inside/);
    broken((p) => (p.referenceImages = ["references/gone.png"]), /reference image "references\/gone\.png" cannot be read \(ENOENT\)/);
    broken((p) => (p.referenceImages = ["references/notes.txt"]), /is not a PNG, JPEG or WebP picture/);
    broken((p) => (p.referenceImages = []), /"referenceImages" must be a non-empty list/);
  });

  test("the template and the kit must agree: a placeholder needs its field, a field needs its placeholder", () => {
    broken((p) => delete p.referenceImages, /loads \{\{reference_image\}\}, so "referenceImages" must name at least one picture/);
    broken((_p, g) => (g["10"].inputs.image = "fixed.png"), /"referenceImages" is set but its template .* uses no \{\{reference_image\}\}/);
    broken((p) => delete p.lora, /uses \{\{lora\}\}\/\{\{lora_weight\}\}, so "lora" must be set/);
    broken((p) => (p.lora = { name: "add_detail.safetensors" }), /"lora" must be \{ "name"/);
  });

  test("a LoRA no instance has makes the persona unavailable, named", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-kit-"));
    const { startComfySimulator } = await import("../simulators/comfyui");
    const sim = await startComfySimulator({ instances: 1, stepMs: 1, steps: 1, outputDir: path.join(dir, "sim") });
    try {
      fs.cpSync(shippedDir, path.join(dir, "personas"), { recursive: true });
      const file = path.join(dir, "personas/NOVA.json");
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), lora: { name: "nova_face.safetensors", weight: 0.8 } }));
      const { catalog } = await loadAndCheckPersonas(path.join(dir, "personas"), [sim.instances[0]!.url]);
      expect(catalog.availability("NOVA")).toMatchObject({ available: false, unavailableReason: 'no instance has LoRA "nova_face.safetensors"' });
      expect(catalog.availability("LINA").available).toBe(true);
      catalog.stop();
    } finally {
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("NOVA's pictures on the real stack", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ instances: 1, stepMs: 5, steps: 3, env: { DIALOG_IMAGE_EVERY: "1" } });
  });
  afterAll(() => stack?.stop());

  let dialogs = 0;
  async function picture(): Promise<Record<string, any>> {
    const res = await stack.request("POST", `/v1/dialogs/nova-${++dialogs}/messages`, { role: "user", text: `a walk by the river, take ${dialogs}`, persona: "NOVA" });
    expect(res.body.imageTriggered).toBe(true);
    return eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${res.body.generationId}`)).body;
      return ["completed", "failed"].includes(g?.status) ? g : undefined;
    }, "NOVA's picture");
  }
  const instance = () => stack.sim.instances[0]!;

  test("two photos: the reference reaches the instance once, and the graph loads it with the LoRA", async () => {
    expect((await picture()).status).toBe("completed");
    expect((await picture()).status).toBe("completed");
    expect(instance().uploads).toEqual([novaName]);
    expect(fs.readFileSync(path.join(instance().inputDir, novaName)).length).toBeGreaterThan(0);
    const graphs = instance().submittedPrompts.map((p) => Object.values(p.prompt) as Array<{ class_type: string; inputs: Record<string, unknown> }>);
    expect(graphs).toHaveLength(2);
    for (const nodes of graphs) {
      expect(nodes.find((n) => n.class_type === "LoadImage")!.inputs.image).toBe(novaName);
      expect(nodes.find((n) => n.class_type === "LoraLoader")!.inputs).toMatchObject({ lora_name: "add_detail.safetensors", strength_model: 0.6, strength_clip: 0.6 });
    }
  });

  test("after a restart that kept the input folder it is still there; on a fresh install it is uploaded again", async () => {
    await instance().restart();
    expect((await picture()).status).toBe("completed");
    expect(instance().uploads).toEqual([novaName]);

    // A replaced machine: the instance comes back without its input folder.
    await instance().down();
    fs.rmSync(instance().inputDir, { recursive: true, force: true });
    await instance().up();
    expect((await picture()).status).toBe("completed");
    expect(instance().uploads).toEqual([novaName, novaName]);
  });

  test("variations of NOVA are the same character: every one loads her reference picture; an unknown persona is a 400", async () => {
    const before = instance().submittedPrompts.length;
    const res = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { prompt: "reading in a café", count: 2, persona: "NOVA" } });
    expect(res.status).toBe(200);
    const state = await eventually(async () => {
      const s = (await stack.request("GET", `/v1/tasks/${res.body.task_id}`)).body;
      return ["SUCCESS", "FAILURE"].includes(s?.state) ? s : undefined;
    }, "NOVA's variations");
    expect(state.state).toBe("SUCCESS");
    const graphs = instance().submittedPrompts.slice(before).map((p) => Object.values(p.prompt) as Array<{ class_type: string; inputs: Record<string, unknown> }>);
    expect(graphs).toHaveLength(2);
    for (const nodes of graphs) expect(nodes.find((n) => n.class_type === "LoadImage")!.inputs.image).toBe(novaName);

    const unknown = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { prompt: "x", persona: "NOBODY" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('no persona "NOBODY"');
  });
});
