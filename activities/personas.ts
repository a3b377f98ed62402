/**
 * Personas: one JSON file per persona in the personas folder, each naming its own
 * ComfyUI workflow template (API format). Files are validated when loaded, and every problem names
 * the file (and, for templates, the node), so a broken persona stops the process at start instead
 * of failing pictures one by one.
 */
import fs from "node:fs";
import path from "node:path";
import { validateTemplate, type ComfyTemplate } from "./comfyui/template";
import { isRecord } from "./comfyui/protocol";

export interface PersonaDefinition {
  /** The file's name without `.json`, e.g. "LINA"; what clients send as `persona`. */
  id: string;
  name: string;
  /** Language of its messages (ISO code). */
  language: string;
  personality: string;
  /** Appended to every image prompt: the look of the pictures. */
  style: string;
  /** Prepended to every image prompt: who is in the picture. */
  appearance: string;
  negativePrompt: string;
  /** The checkpoint its template loads; instances that last ran it are preferred (no model swap). */
  checkpoint: string;
  width: number;
  height: number;
  /** Sent to the chat when its picture cannot be made. */
  failureMessage: string;
  /** Absolute path of the API-format template. */
  templatePath: string;
  template: ComfyTemplate;
}

export class PersonaInvalid extends Error {
  override readonly name = "PersonaInvalid";
}

export interface PersonaCatalog {
  dir: string;
  list(): PersonaDefinition[];
  /** Case-insensitive: "lina" finds LINA. */
  find(id: string): PersonaDefinition | undefined;
  ids(): string[];
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const TEXT_FIELDS = ["name", "language", "personality", "style", "appearance", "negativePrompt", "checkpoint", "failureMessage", "workflow"] as const;
/** Persona templates get every placeholder: the persona decides size and negative prompt too. */
const PLACEHOLDERS = ["prompt", "negative_prompt", "seed", "width", "height"];
const CHECKPOINT_LOADERS = new Set(["CheckpointLoaderSimple", "CheckpointLoader"]);

/** Loads every `*.json` directly in `dir` (templates live in a subfolder). Synchronous: runs once at start. */
export function loadPersonas(dir: string): PersonaCatalog {
  const root = path.resolve(dir);
  let files: string[];
  try {
    files = fs.readdirSync(root).filter((f) => f.endsWith(".json")).sort();
  } catch (err) {
    throw new PersonaInvalid(`Personas folder ${root}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const personas = files.map((f) => loadPersonaFile(path.join(root, f)));
  const byId = new Map(personas.map((p) => [p.id.toUpperCase(), p]));
  return {
    dir: root,
    list: () => personas,
    find: (id) => byId.get(id.toUpperCase()),
    ids: () => personas.map((p) => p.id),
  };
}

export function loadPersonaFile(file: string): PersonaDefinition {
  const problem = (text: string) => new PersonaInvalid(`Persona ${file}: ${text}`);
  const id = path.basename(file, ".json");
  if (!ID.test(id)) throw problem(`the file name must be the persona id (letters, digits, - and _)`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw problem(`not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(raw)) throw problem("must be a JSON object");
  for (const field of TEXT_FIELDS) {
    if (typeof raw[field] !== "string" || !(raw[field] as string).trim()) throw problem(`"${field}" must be a non-empty string`);
  }
  if (raw.id !== undefined && raw.id !== id) throw problem(`"id" is "${String(raw.id)}" but the file is named ${id}.json`);
  for (const field of ["width", "height"] as const) {
    const v = raw[field];
    if (!Number.isInteger(v) || (v as number) < 64 || (v as number) > 4096 || (v as number) % 8 !== 0) {
      throw problem(`"${field}" must be a multiple of 8 between 64 and 4096`);
    }
  }
  const templatePath = path.resolve(path.dirname(file), raw.workflow as string);
  const template = loadPersonaTemplate(templatePath, raw.checkpoint as string);
  return {
    id,
    name: raw.name as string,
    language: raw.language as string,
    personality: raw.personality as string,
    style: raw.style as string,
    appearance: raw.appearance as string,
    negativePrompt: raw.negativePrompt as string,
    checkpoint: raw.checkpoint as string,
    width: raw.width as number,
    height: raw.height as number,
    failureMessage: raw.failureMessage as string,
    templatePath,
    template,
  };
}

/** Validates the template as the GPU worker will (activities/comfyui/template.ts), and more strictly. */
function loadPersonaTemplate(file: string, checkpoint: string): ComfyTemplate {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new PersonaInvalid(`Template ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PersonaInvalid(`Template ${file}: not valid JSON (${(err as Error).message})`);
  }
  let template: ComfyTemplate;
  try {
    template = validateTemplate(parsed, file);
  } catch (err) {
    throw new PersonaInvalid((err as Error).message);
  }
  const used = new Set([...text.matchAll(/\{\{([A-Za-z_]+)\}\}/g)].map((m) => m[1]));
  const missing = PLACEHOLDERS.filter((p) => !used.has(p));
  if (missing.length) {
    throw new PersonaInvalid(`Template ${file}: no node uses ${missing.map((p) => `{{${p}}}`).join(", ")} (a persona template needs all of ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")})`);
  }
  const loaders = Object.entries(template.graph).filter(([, n]) => CHECKPOINT_LOADERS.has(n.class_type));
  if (loaders.length === 0) throw new PersonaInvalid(`Template ${file}: has no checkpoint loader node (CheckpointLoaderSimple)`);
  for (const [nodeId, node] of loaders) {
    if (node.inputs.ckpt_name !== checkpoint) {
      throw new PersonaInvalid(
        `Template ${file}: node ${nodeId} (${node.class_type}) loads "${String(node.inputs.ckpt_name)}" but the persona's checkpoint is "${checkpoint}"`,
      );
    }
  }
  return template;
}

/**
 * Checks the templates against what a live ComfyUI instance offers (`/object_info`): every node
 * class must exist there, and every choice input (checkpoint, LoRA, sampler…) must be one of its
 * options. Returns the problems, each naming the file and the node; empty when all is well.
 */
export function checkAgainstObjectInfo(catalog: PersonaCatalog, objectInfo: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const persona of catalog.list()) {
    for (const [nodeId, node] of Object.entries(persona.template.graph)) {
      const info = objectInfo[node.class_type] as { input?: { required?: Record<string, unknown>; optional?: Record<string, unknown> } } | undefined;
      if (!info) {
        problems.push(`Template ${persona.templatePath}: node ${nodeId} uses class "${node.class_type}", which the instance does not have`);
        continue;
      }
      const specs = { ...(info.input?.required ?? {}), ...(info.input?.optional ?? {}) };
      for (const [input, value] of Object.entries(node.inputs)) {
        const spec = specs[input];
        const options = Array.isArray(spec) && Array.isArray(spec[0]) ? (spec[0] as unknown[]) : undefined;
        if (options && typeof value === "string" && !value.includes("{{") && !options.includes(value)) {
          problems.push(`Template ${persona.templatePath}: node ${nodeId} (${node.class_type}) input "${input}" is "${value}", which the instance does not offer`);
        }
      }
    }
  }
  return problems;
}

/**
 * Loads the personas and, when one of `instanceUrls` answers `/object_info`, checks the templates
 * against it. Throws PersonaInvalid listing every problem; an unreachable pool only skips the check.
 */
export async function loadAndCheckPersonas(dir: string, instanceUrls: string[], timeoutMs = 3000): Promise<{ catalog: PersonaCatalog; checkedAgainst?: string }> {
  const catalog = loadPersonas(dir);
  for (const url of instanceUrls) {
    const info = await fetch(`${url.replace(/\/+$/, "")}/object_info`, { signal: AbortSignal.timeout(timeoutMs) })
      .then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined))
      .catch(() => undefined);
    if (!info) continue;
    const problems = checkAgainstObjectInfo(catalog, info);
    if (problems.length) throw new PersonaInvalid(problems.join("\n"));
    return { catalog, checkedAgainst: url };
  }
  return { catalog };
}
