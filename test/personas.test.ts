/**
 * Persona files: the eight shipped personas load and fit the ComfyUI simulator's nodes, and broken
 * files fail with errors that name the file and the node.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../lib/config";
import { checkAgainstObjectInfo, loadAndCheckPersonas, loadPersonas, PersonaInvalid } from "../activities/personas";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";
import { start } from "../cli/runtime";

const SHIPPED = ["ASH", "JULIE", "LINA", "MARRIANA", "MAY", "NOVA", "STACY", "TAYA", "UNA"];
const shippedDir = loadConfig({}).chatImages.personasDir;

describe("the shipped personas", () => {
  let sim: ComfySimulator;
  let outDir: string;
  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-personas-"));
    sim = await startComfySimulator({ instances: 1, stepMs: 1, steps: 1, outputDir: outDir });
  });
  afterAll(async () => {
    await sim?.stop();
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  test("all nine load with their own template, safe-for-work negative prompt and failure message", () => {
    const catalog = loadPersonas(shippedDir);
    expect(catalog.ids()).toEqual(SHIPPED);
    for (const p of catalog.list()) {
      expect(p.templatePath).toStartWith(shippedDir);
      expect(p.negativePrompt).toContain("nsfw");
      expect(p.failureMessage.length).toBeGreaterThan(5);
      const loader = Object.values(p.template.graph).find((n) => n.class_type === "CheckpointLoaderSimple");
      expect(loader?.inputs.ckpt_name).toBe(p.checkpoint);
    }
    expect(catalog.find("lina")?.id).toBe("LINA");
    expect(catalog.find("NOBODY")).toBeUndefined();
  });

  test("every node class and choice exists on a live ComfyUI (/object_info)", async () => {
    const { catalog, checkedAgainst } = await loadAndCheckPersonas(shippedDir, ["http://127.0.0.1:1", sim.instances[0]!.url]);
    expect(checkedAgainst).toBe(sim.instances[0]!.url);
    expect(catalog.list()).toHaveLength(9);
    expect(catalog.list().filter((p) => !catalog.availability(p.id).available)).toEqual([]);
  });

  test("an unknown node class or checkpoint is named with its file and node", async () => {
    const dir = copyOf("LINA");
    const workflow = path.join(dir, "workflows/LINA.json");
    const graph = JSON.parse(fs.readFileSync(workflow, "utf8"));
    graph["3"].class_type = "KSamplerTurbo";
    fs.writeFileSync(workflow, JSON.stringify(graph));
    const info = await (await fetch(`${sim.instances[0]!.url}/object_info`)).json();
    const problems = checkAgainstObjectInfo(loadPersonas(dir), info as Record<string, unknown>);
    expect(problems).toEqual([`Template ${workflow}: node 3 uses class "KSamplerTurbo", which the instance does not have`]);
    // What the pool lacks does not stop the start: the persona is unavailable, with the reason.
    const { catalog, unavailable } = await loadAndCheckPersonas(dir, [sim.instances[0]!.url]);
    expect(unavailable).toEqual([{ id: "LINA", available: false, unavailableReason: 'no instance has node class "KSamplerTurbo"', missing: ['node class "KSamplerTurbo"'] }]);
    expect(catalog.availability("lina").available).toBe(false);
    catalog.stop();
  });
});

describe("broken persona files", () => {
  const expectBroken = (dir: string, message: RegExp) => {
    let error: unknown;
    try {
      loadPersonas(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PersonaInvalid);
    expect((error as Error).message).toMatch(message);
  };

  test("a template without a placeholder names the file and what is missing", () => {
    const dir = copyOf("MAY");
    const workflow = path.join(dir, "workflows/MAY.json");
    fs.writeFileSync(workflow, fs.readFileSync(workflow, "utf8").replace('"{{width}}"', "512"));
    expectBroken(dir, new RegExp(`Template ${escape(workflow)}: no node uses \\{\\{width\\}\\}`));
  });

  test("a template broken in itself still stops the start, naming the file and node", async () => {
    const dir = copyOf("MAY");
    const workflow = path.join(dir, "workflows/MAY.json");
    const graph = JSON.parse(fs.readFileSync(workflow, "utf8"));
    graph["8"].inputs.samples = ["42", 0];
    fs.writeFileSync(workflow, JSON.stringify(graph));
    // Refused before anything is opened: no database, Temporal or instance is needed to see it.
    const config = loadConfig({ PERSONAS_DIR: dir, TEMPORAL_ADDRESS: "127.0.0.1:1", DARKROOM_DATA_DIR: dir });
    await expect(start(config, { api: true, worker: true })).rejects.toThrow(/MAY\.json: node 8 \(VAEDecode\) input "samples" links to node 42/);
  });

  test("a link to a missing node names the node and input", () => {
    const dir = copyOf("MAY");
    const workflow = path.join(dir, "workflows/MAY.json");
    const graph = JSON.parse(fs.readFileSync(workflow, "utf8"));
    graph["8"].inputs.samples = ["42", 0];
    fs.writeFileSync(workflow, JSON.stringify(graph));
    expectBroken(dir, /node 8 \(VAEDecode\) input "samples" links to node 42, which does not exist/);
  });

  test("a template that is not JSON, or not there, names the file", () => {
    const dir = copyOf("MAY");
    const workflow = path.join(dir, "workflows/MAY.json");
    fs.writeFileSync(workflow, "{ nodes: ");
    expectBroken(dir, new RegExp(`Template ${escape(workflow)}: not valid JSON`));
    fs.rmSync(workflow);
    expectBroken(dir, new RegExp(`Template ${escape(workflow)}: cannot be read \\(ENOENT\\)`));
  });

  test("a checkpoint that disagrees with the template names the loader node", () => {
    const dir = copyOf("MAY");
    const file = path.join(dir, "MAY.json");
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), checkpoint: "juggernautXL_v9.safetensors" }));
    expectBroken(dir, /node 4 \(CheckpointLoaderSimple\) loads "dreamshaper_8.safetensors" but the persona's checkpoint is "juggernautXL_v9.safetensors"/);
  });

  test("a persona file with a missing field or a wrong id names the file", () => {
    const dir = copyOf("MAY");
    const file = path.join(dir, "MAY.json");
    const persona = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, JSON.stringify({ ...persona, style: "" }));
    expectBroken(dir, new RegExp(`Persona ${escape(file)}: "style" must be a non-empty string`));
    fs.writeFileSync(file, JSON.stringify({ ...persona, id: "JUNE" }));
    expectBroken(dir, /"id" is "JUNE" but the file is named MAY.json/);
  });
});

const copies: string[] = [];
afterAll(() => copies.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A throwaway personas folder holding one shipped persona and its template. */
function copyOf(id: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-persona-"));
  copies.push(dir);
  fs.mkdirSync(path.join(dir, "workflows"));
  fs.copyFileSync(path.join(shippedDir, `${id}.json`), path.join(dir, `${id}.json`));
  fs.copyFileSync(path.join(shippedDir, "workflows", `${id}.json`), path.join(dir, "workflows", `${id}.json`));
  return dir;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
