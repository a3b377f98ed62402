/**
 * Personas: one JSON file per persona in the personas folder, each naming its own
 * ComfyUI workflow template (API format). Files are validated when loaded, and every problem names
 * the file (and, for templates, the node), so a broken persona stops the process at start instead
 * of failing pictures one by one.
 *
 * What the pool offers is another matter: a persona whose checkpoint, LoRA or node class no
 * answering instance has is *unavailable* — listed with the reason, refused when asked for — while
 * every other persona keeps working, and it comes back by itself once an instance offers the file
 * (the instances' `/object_info` is read again periodically, and on demand when it is stale).
 */
import fs from "node:fs";
import path from "node:path";
import { validateTemplate, type ComfyTemplate } from "./comfyui/template";
import { inputImageName } from "./comfyui/inputImages";
import { isRecord } from "./comfyui/protocol";
import type { PersonaIdentity } from "../domain/templates";

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
  /**
   * Its identity kit: the reference picture(s) of the character (absolute paths inside the personas
   * folder; the first fills `{{reference_image}}`) and a LoRA with its weight (`{{lora}}`,
   * `{{lora_weight}}`). What every job of the persona adds to its template's parameters.
   */
  referenceImages: string[];
  lora?: { name: string; weight: number };
  identity: PersonaIdentity;
}

export class PersonaInvalid extends Error {
  override readonly name = "PersonaInvalid";
}

/** Whether the pool can make a persona's pictures now. */
export interface PersonaAvailability {
  available: boolean;
  /** e.g. `no instance has checkpoint "x.safetensors"`. */
  unavailableReason?: string;
  /** What no instance offers, e.g. `checkpoint "x.safetensors"`, `LoRA "y.safetensors"`, `node class "Z"`. */
  missing?: string[];
}

export interface PersonaCatalog {
  dir: string;
  list(): PersonaDefinition[];
  /** Case-insensitive: "lina" finds LINA. */
  find(id: string): PersonaDefinition | undefined;
  ids(): string[];
  /**
   * What the last look at the pool said. Until an instance has answered, every persona counts as
   * available (an unreachable pool is the pool's problem, reported as such).
   */
  availability(id: string): PersonaAvailability;
  /** Looks at the instances' `/object_info` again, unless the last look is younger than `maxAgeMs`. */
  refresh(maxAgeMs?: number): Promise<void>;
  /** Ends the periodic re-check. */
  stop(): void;
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
    availability: () => ({ available: true }),
    refresh: async () => {},
    stop: () => {},
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
  const { referenceImages, lora, identity } = loadIdentityKit(file, raw, template);
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
    referenceImages,
    lora,
    identity,
  };
}

/** PNG, JPEG or WebP, by their first bytes: what LoadImage reads. */
function isPicture(bytes: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  return (
    (bytes[0] === 0x89 && ascii(1, 4) === "PNG") ||
    (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) ||
    (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP")
  );
}

/**
 * `referenceImages` (paths relative to the persona file, never leaving the personas folder) and
 * `lora` (`{ name, weight }`), checked against what the template uses: a template that loads a
 * reference picture or a LoRA needs the persona to name one, and a named one the template never
 * uses is a mistake too.
 */
function loadIdentityKit(file: string, raw: Record<string, unknown>, template: ComfyTemplate) {
  const problem = (text: string) => new PersonaInvalid(`Persona ${file}: ${text}`);
  const root = path.dirname(file);
  const uses = (placeholder: string) => JSON.stringify(template.graph).includes(`{{${placeholder}}}`);
  let referenceImages: string[] = [];
  if (raw.referenceImages !== undefined) {
    if (!Array.isArray(raw.referenceImages) || raw.referenceImages.length === 0 || raw.referenceImages.some((p) => typeof p !== "string" || !p.trim())) {
      throw problem(`"referenceImages" must be a non-empty list of picture paths (relative to the persona file)`);
    }
    referenceImages = (raw.referenceImages as string[]).map((p) => {
      const resolved = path.resolve(root, p);
      if (path.isAbsolute(p) || !resolved.startsWith(root + path.sep)) throw problem(`reference image "${p}" must be a path inside ${root}`);
      let bytes: Uint8Array;
      try {
        bytes = fs.readFileSync(resolved);
      } catch (err) {
        throw problem(`reference image "${p}" cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      if (!isPicture(bytes)) throw problem(`reference image "${p}" is not a PNG, JPEG or WebP picture`);
      return resolved;
    });
  }
  if (uses("reference_image") && referenceImages.length === 0) {
    throw problem(`its template ${template.source} loads {{reference_image}}, so "referenceImages" must name at least one picture`);
  }
  if (referenceImages.length > 0 && !uses("reference_image")) {
    throw problem(`"referenceImages" is set but its template ${template.source} uses no {{reference_image}} (e.g. a LoadImage node's "image")`);
  }
  let lora: { name: string; weight: number } | undefined;
  if (raw.lora !== undefined) {
    const l = raw.lora;
    if (!isRecord(l) || typeof l.name !== "string" || !l.name.trim() || typeof l.weight !== "number" || !Number.isFinite(l.weight) || l.weight < -10 || l.weight > 10) {
      throw problem(`"lora" must be { "name": "<file>.safetensors", "weight": <number between -10 and 10> }`);
    }
    lora = { name: l.name, weight: l.weight };
  }
  if ((uses("lora") || uses("lora_weight")) && !lora) throw problem(`its template ${template.source} uses {{lora}}/{{lora_weight}}, so "lora" must be set`);
  if (lora && !uses("lora")) throw problem(`"lora" is set but its template ${template.source} uses no {{lora}} (e.g. a LoraLoader node's "lora_name")`);
  const first = referenceImages[0];
  const identity: PersonaIdentity = {
    ...(first ? { referenceFile: first, referenceImage: inputImageName(fs.readFileSync(first)) } : {}),
    ...(lora ? { lora: lora.name, loraWeight: lora.weight } : {}),
  };
  return { referenceImages, lora, identity };
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

/** One thing a template needs that an instance does not offer. */
interface Shortfall {
  /** What is missing, in a person's words: `checkpoint "x.safetensors"`, `node class "Z"`. */
  what: string;
  /** The same, with the file and node, for operators. */
  detail: string;
}

const CHOICE_NOUNS: Record<string, string> = {
  ckpt_name: "checkpoint",
  lora_name: "LoRA",
  vae_name: "VAE",
  control_net_name: "ControlNet",
  upscale_model_name: "upscale model",
  sampler_name: "sampler",
  scheduler: "scheduler",
};

/** What one persona's template needs that the instance (`/object_info`) lacks; empty when nothing. */
function shortfalls(persona: PersonaDefinition, objectInfo: Record<string, unknown>): Shortfall[] {
  const out: Shortfall[] = [];
  for (const [nodeId, node] of Object.entries(persona.template.graph)) {
    const info = objectInfo[node.class_type] as { input?: { required?: Record<string, unknown>; optional?: Record<string, unknown> } } | undefined;
    if (!info) {
      out.push({
        what: `node class "${node.class_type}"`,
        detail: `Template ${persona.templatePath}: node ${nodeId} uses class "${node.class_type}", which the instance does not have`,
      });
      continue;
    }
    const specs = { ...(info.input?.required ?? {}), ...(info.input?.optional ?? {}) };
    for (const [input, value] of Object.entries(node.inputs)) {
      const spec = specs[input];
      // Both forms of a choice input: `[[...options]]` and the newer `["COMBO", { options }]`.
      const options = Array.isArray(spec)
        ? Array.isArray(spec[0])
          ? (spec[0] as unknown[])
          : spec[0] === "COMBO" && isRecord(spec[1]) && Array.isArray(spec[1].options)
            ? (spec[1].options as unknown[])
            : undefined
        : undefined;
      // The persona's own LoRA stands in for {{lora}}: an instance without that file cannot serve it.
      const chosen = value === "{{lora}}" && persona.lora ? persona.lora.name : value;
      if (options && typeof chosen === "string" && !chosen.includes("{{") && !options.includes(chosen)) {
        out.push({
          what: `${CHOICE_NOUNS[input] ?? `${node.class_type} ${input}`} "${chosen}"`,
          detail: `Template ${persona.templatePath}: node ${nodeId} (${node.class_type}) input "${input}" is "${chosen}", which the instance does not offer`,
        });
      }
    }
  }
  return out;
}

/**
 * Checks the templates against what a live ComfyUI instance offers (`/object_info`): every node
 * class must exist there, and every choice input (checkpoint, LoRA, sampler…) must be one of its
 * options. Returns the problems, each naming the file and the node; empty when all is well.
 */
export function checkAgainstObjectInfo(catalog: PersonaCatalog, objectInfo: Record<string, unknown>): string[] {
  return catalog.list().flatMap((persona) => shortfalls(persona, objectInfo).map((s) => s.detail));
}

/**
 * A persona is available when at least one answering instance offers everything its template needs
 * (that is where its pictures can be made). Otherwise the reason names what no instance has.
 */
export function availabilityAgainst(persona: PersonaDefinition, objectInfos: Record<string, unknown>[]): PersonaAvailability {
  const perInstance = objectInfos.map((info) => shortfalls(persona, info));
  if (perInstance.length === 0 || perInstance.some((s) => s.length === 0)) return { available: true };
  const everywhere = [...new Set(perInstance[0]!.map((s) => s.what))].filter((what) => perInstance.every((s) => s.some((x) => x.what === what)));
  if (everywhere.length) {
    return { available: false, unavailableReason: everywhere.map((what) => `no instance has ${what}`).join("; "), missing: everywhere };
  }
  // Each requirement is offered somewhere, but never all of them on one instance.
  const closest = perInstance.reduce((a, b) => (b.length < a.length ? b : a));
  const missing = [...new Set(closest.map((s) => s.what))];
  return { available: false, unavailableReason: `no instance has all it needs (the closest lacks ${missing.join(", ")})`, missing };
}

export interface PersonaWatchOptions {
  /** Per `/object_info` request. */
  timeoutMs?: number;
  /** How often the pool is looked at again; 0 = only on demand. */
  recheckMs?: number;
  /** Told when a persona turns unavailable or available again. */
  onChange?(persona: PersonaDefinition, now: PersonaAvailability): void;
}

/**
 * Loads the personas (a file or template broken in itself throws PersonaInvalid, naming the file and
 * node) and works out which ones the pool can serve, from the `/object_info` of every instance
 * that answers; then keeps that up to date. A persona the pool cannot serve does not stop anything.
 */
export async function loadAndCheckPersonas(
  dir: string,
  instanceUrls: string[],
  opts: PersonaWatchOptions = {},
): Promise<{ catalog: PersonaCatalog; checkedAgainst?: string; unavailable: Array<{ id: string } & PersonaAvailability> }> {
  const loaded = loadPersonas(dir);
  const timeoutMs = opts.timeoutMs ?? 3000;
  const state = new Map<string, PersonaAvailability>();
  let lastLook = 0;
  let inFlight: Promise<void> | undefined;
  let checkedAgainst: string | undefined;

  const look = async () => {
    const answers = await Promise.all(
      instanceUrls.map((url) =>
        fetch(`${url.replace(/\/+$/, "")}/object_info`, { signal: AbortSignal.timeout(timeoutMs) })
          .then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined))
          .then((info) => (isRecord(info) ? { url, info } : undefined))
          .catch(() => undefined),
      ),
    );
    const infos = answers.filter((a): a is { url: string; info: Record<string, unknown> } => a !== undefined);
    lastLook = Date.now();
    // Nobody answered: keep what was known (the pool's health reports the outage).
    if (infos.length === 0) return;
    checkedAgainst = infos[0]!.url;
    for (const persona of loaded.list()) {
      const now = availabilityAgainst(persona, infos.map((a) => a.info));
      const before = state.get(persona.id);
      state.set(persona.id, now);
      if ((before?.available ?? true) !== now.available || (before && before.unavailableReason !== now.unavailableReason)) opts.onChange?.(persona, now);
    }
  };
  const refresh = (maxAgeMs = 0): Promise<void> => {
    if (inFlight) return inFlight;
    if (lastLook && Date.now() - lastLook < maxAgeMs) return Promise.resolve();
    inFlight = look().finally(() => (inFlight = undefined));
    return inFlight;
  };

  await refresh();
  const timer = opts.recheckMs ? setInterval(() => void refresh(opts.recheckMs! / 2).catch(() => undefined), opts.recheckMs) : undefined;
  timer?.unref?.();

  const catalog: PersonaCatalog = {
    ...loaded,
    availability: (id) => {
      const persona = loaded.find(id);
      return (persona && state.get(persona.id)) ?? { available: true };
    },
    refresh,
    stop: () => clearInterval(timer),
  };
  const unavailable = loaded
    .list()
    .map((p) => ({ id: p.id, ...catalog.availability(p.id) }))
    .filter((a) => !a.available);
  return { catalog, checkedAgainst, unavailable };
}

/** A request needs a persona the pool cannot serve now. */
export class PersonaUnavailable extends Error {
  override readonly name = "PersonaUnavailable";
  constructor(
    readonly personaId: string,
    readonly availability: PersonaAvailability,
  ) {
    super(`Persona "${personaId}" is unavailable: ${availability.unavailableReason ?? "the pool cannot make its pictures"}`);
  }
}

/**
 * Refuses a persona the pool cannot serve; a stale "unavailable" is looked at again first, so a
 * persona whose file was just installed works on the next request.
 */
export async function requireAvailable(catalog: PersonaCatalog, persona: PersonaDefinition, maxAgeMs = 2000): Promise<void> {
  if (catalog.availability(persona.id).available) return;
  await catalog.refresh(maxAgeMs);
  const now = catalog.availability(persona.id);
  if (!now.available) throw new PersonaUnavailable(persona.id, now);
}
