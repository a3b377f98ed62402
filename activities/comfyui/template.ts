/**
 * Graph templates: an API-format ComfyUI graph with `{{placeholders}}` as string values.
 * Loading validates the graph once (and names the file and node of every problem), so a broken
 * template fails a job with a useful message instead of an obscure 400 from ComfyUI.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isRecord, type ComfyGraph, type ComfyNode } from "./protocol";

import { FailureType } from "../../domain/failures";
import { BUILTIN_TEMPLATE, REFERENCE_TEMPLATE, type TemplateParams } from "../../domain/templates";

export { BUILTIN_TEMPLATE, REFERENCE_TEMPLATE };

const BUILTIN_FILES: Record<string, string> = {
  [BUILTIN_TEMPLATE]: fileURLToPath(new URL("./templates/default.json", import.meta.url)),
  [REFERENCE_TEMPLATE]: fileURLToPath(new URL("./templates/reference.json", import.meta.url)),
};

export interface ComfyTemplate {
  /** Where it came from (file path), for error messages. */
  source: string;
  graph: ComfyGraph;
}

export type { TemplateParams };

export class ComfyTemplateInvalid extends Error {
  override readonly name = "ComfyTemplateInvalid";
}

/** Parameters no template can take (a negative seed, a zero width): the job fails, never retried. */
export class InvalidGenerationParams extends TypeError {
  override readonly name = FailureType.InvalidGenerationParams;
}

const OUTPUT_CLASSES = new Set(["SaveImage", "PreviewImage"]);
const TEXT_PLACEHOLDERS = { prompt: "prompt", negative_prompt: "negativePrompt", reference_image: "referenceImage", lora: "lora" } as const;
const NUMBER_PLACEHOLDERS = { seed: "seed", width: "width", height: "height", lora_weight: "loraWeight" } as const;
const PLACEHOLDER = /\{\{([A-Za-z_]+)\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{([A-Za-z_]+)\}\}$/;
const REQUIRED = ["prompt", "seed"] as const;
/** Where a missing placeholder usually belongs, for the hint in the error. */
const USUAL_HOME: Record<(typeof REQUIRED)[number], { classType: string; input: string }> = {
  prompt: { classType: "CLIPTextEncode", input: "text" },
  seed: { classType: "KSampler", input: "seed" },
};

const isKnownPlaceholder = (name: string) => name in TEXT_PLACEHOLDERS || name in NUMBER_PLACEHOLDERS;
const isLink = (v: unknown): v is [string, number] => Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && Number.isInteger(v[1]);
const describeNode = (id: string, node: ComfyNode) => `node ${id} (${node.class_type})`;

const cache = new Map<string, { mtimeMs: number; template: Promise<ComfyTemplate> }>();

/** Loads and validates a template file; `undefined` or `builtin:default` is the built-in SDXL graph. Cached per file version. */
export async function loadTemplate(ref?: string): Promise<ComfyTemplate> {
  const file = BUILTIN_FILES[ref ?? BUILTIN_TEMPLATE] ?? path.resolve(ref!);
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(file)).mtimeMs;
  } catch (err) {
    throw new ComfyTemplateInvalid(`Template ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const cached = cache.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.template;
  const template = readFile(file, "utf8").then((text) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ComfyTemplateInvalid(`Template ${file}: not valid JSON (${(err as Error).message})`);
    }
    return validateTemplate(parsed, file);
  });
  cache.set(file, { mtimeMs, template });
  template.catch(() => cache.delete(file));
  return template;
}

/** Checks a parsed graph; every error names `source` and, where there is one, the node. */
export function validateTemplate(value: unknown, source: string): ComfyTemplate {
  const problem = (text: string) => new ComfyTemplateInvalid(`Template ${source}: ${text}`);
  if (!isRecord(value)) throw problem("must be a JSON object of nodes in ComfyUI API format (\"Save (API Format)\")");
  if (Array.isArray(value.nodes) && Array.isArray(value.links)) {
    throw problem("this is the editor's workflow format; export it with \"Save (API Format)\" instead");
  }
  const ids = Object.keys(value);
  if (ids.length === 0) throw problem("has no nodes");
  const graph: ComfyGraph = {};
  for (const id of ids) {
    const node = value[id];
    if (!isRecord(node)) throw problem(`node ${id} is not an object`);
    if (typeof node.class_type !== "string" || !node.class_type) throw problem(`node ${id} has no class_type`);
    if (!isRecord(node.inputs)) throw problem(`node ${id} (${node.class_type}) has no inputs object`);
    graph[id] = node as unknown as ComfyNode;
  }
  const seen = new Set<string>();
  for (const [id, node] of Object.entries(graph)) {
    for (const [input, v] of Object.entries(node.inputs)) {
      if (isLink(v) && !(v[0] in graph)) {
        throw problem(`${describeNode(id, node)} input "${input}" links to node ${v[0]}, which does not exist`);
      }
      if (typeof v !== "string") continue;
      for (const [, name] of v.matchAll(PLACEHOLDER)) {
        if (!isKnownPlaceholder(name!)) {
          throw problem(`${describeNode(id, node)} input "${input}" uses unknown placeholder {{${name}}} (known: {{prompt}}, {{negative_prompt}}, {{seed}}, {{width}}, {{height}}, {{reference_image}}, {{lora}}, {{lora_weight}})`);
        }
        seen.add(name!);
      }
    }
  }
  if (!Object.values(graph).some((node) => OUTPUT_CLASSES.has(node.class_type))) {
    const decoder = Object.entries(graph).find(([, node]) => node.class_type === "VAEDecode");
    const feeder = decoder ? describeNode(decoder[0], decoder[1]) : "the decoded image";
    throw problem(`has no output node; add a SaveImage (or PreviewImage) node fed by ${feeder}`);
  }
  for (const name of REQUIRED) {
    if (seen.has(name)) continue;
    const home = USUAL_HOME[name];
    const candidate = Object.entries(graph).find(([, node]) => node.class_type === home.classType);
    const hint = candidate ? `; put it in ${describeNode(candidate[0], candidate[1])} input "${home.input}"` : "";
    throw problem(`no node uses the {{${name}}} placeholder${hint}`);
  }
  return { source, graph };
}

function checkParams(params: TemplateParams): void {
  if (typeof params.prompt !== "string") throw new InvalidGenerationParams("prompt must be a string");
  if (typeof params.negativePrompt !== "string") throw new InvalidGenerationParams("negativePrompt must be a string");
  if (!Number.isSafeInteger(params.seed) || params.seed < 0) throw new InvalidGenerationParams(`seed must be a non-negative integer, got ${params.seed}`);
  for (const key of ["width", "height"] as const) {
    if (!Number.isInteger(params[key]) || params[key] <= 0) throw new InvalidGenerationParams(`${key} must be a positive integer, got ${params[key]}`);
  }
  if (params.loraWeight !== undefined && !Number.isFinite(params.loraWeight)) throw new InvalidGenerationParams(`loraWeight must be a number, got ${params.loraWeight}`);
}

/**
 * Fills the placeholders. A value that is exactly `"{{seed}}"` (or width/height) becomes a
 * number; text placeholders may sit inside longer strings. Substitution works on parsed values
 * in one pass, so a prompt containing quotes, `$&` or `{{seed}}` is inserted literally.
 */
export function renderTemplate(template: ComfyTemplate, params: TemplateParams): ComfyGraph {
  checkParams(params);
  const text = JSON.stringify(template.graph);
  if (params.referenceImage === undefined && text.includes("{{reference_image}}")) {
    throw new InvalidGenerationParams(`referenceImage must be given: ${template.source} loads a reference picture ({{reference_image}})`);
  }
  if (params.lora === undefined && text.includes("{{lora}}")) throw new InvalidGenerationParams(`lora must be given: ${template.source} loads a LoRA ({{lora}})`);
  if (params.loraWeight === undefined && text.includes("{{lora_weight}}")) throw new InvalidGenerationParams(`loraWeight must be given: ${template.source} uses {{lora_weight}}`);
  const valueOf = (name: string): string | number | undefined => {
    if (name in TEXT_PLACEHOLDERS) return params[TEXT_PLACEHOLDERS[name as keyof typeof TEXT_PLACEHOLDERS]];
    if (name in NUMBER_PLACEHOLDERS) return params[NUMBER_PLACEHOLDERS[name as keyof typeof NUMBER_PLACEHOLDERS]];
    return undefined;
  };
  const graph: ComfyGraph = {};
  for (const [id, node] of Object.entries(template.graph)) {
    const inputs: Record<string, unknown> = {};
    for (const [input, v] of Object.entries(node.inputs)) {
      if (typeof v !== "string") {
        inputs[input] = structuredClone(v);
        continue;
      }
      const whole = WHOLE_PLACEHOLDER.exec(v)?.[1];
      const wholeValue = whole === undefined ? undefined : valueOf(whole);
      inputs[input] = wholeValue !== undefined ? wholeValue : v.replace(PLACEHOLDER, (match, name: string) => String(valueOf(name) ?? match));
    }
    graph[id] = { ...structuredClone(node), inputs };
  }
  return graph;
}
