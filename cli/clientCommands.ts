/**
 * The commands for people, on the typed client against a running API: `generate`, `series` and
 * `watch`. Live progress bars on a terminal, one plain line per change otherwise (logs, pipes,
 * scripts). Ctrl-C cancels the generations being followed and waits until the API says they are
 * cancelled. Exit codes: 0 done, 1 failed, 130 cancelled, 2 usage.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "./command";
import { DarkroomClient, DarkroomError, type Generation, type GenerationEvent } from "../client/src/index";

type Values = Record<string, string | boolean | undefined>;

export const EXIT = { done: 0, failed: 1, usage: 2, cancelled: 130 } as const;

const CONNECTION_OPTIONS = { url: { type: "string" }, key: { type: "string" } } as const;
const CONNECTION_HELP = {
  "--url URL": "the API (default $DARKROOM_URL, else http://localhost:3000)",
  "--key KEY": "the API key (default $DARKROOM_KEY)",
};

class Usage extends Error {}

function usage(command: string, message: string): never {
  console.error(`darkroom ${command}: ${message}`);
  console.error(`Run ./darkroom ${command} --help for the options.`);
  process.exit(EXIT.usage);
}

function clientFrom(values: Values): DarkroomClient {
  const baseUrl = (values.url as string | undefined) ?? process.env.DARKROOM_URL ?? "http://localhost:3000";
  const apiKey = (values.key as string | undefined) ?? process.env.DARKROOM_KEY;
  if (!apiKey) throw new Usage("an API key is needed: --key KEY or DARKROOM_KEY (./darkroom keys create --tenant NAME makes one)");
  if (!/^https?:\/\/./.test(baseUrl)) throw new Usage(`--url must be an http(s) URL, not "${baseUrl}"`);
  return new DarkroomClient({ baseUrl, apiKey });
}

// ---------------------------------------------------------------------------------------------
// Progress: one line per generation

interface Track {
  id: string;
  label: string;
  status: string;
  percent: number;
  step?: number;
  of?: number;
  queuePosition?: number;
  startedAt?: number;
  /** The server's estimate with the last progress event, and when it came. */
  etaSeconds?: number;
  etaAt?: number;
  note?: string;
}

function eta(t: Track): string | undefined {
  if (t.status !== "generating" && t.status !== "queued") return undefined;
  // The server's, measured on the instance (queue included); else extrapolated from the percent.
  if (t.etaSeconds !== undefined && t.etaAt !== undefined) {
    const left = Math.max(0, t.etaSeconds - (performance.now() - t.etaAt) / 1000);
    return `${left < 10 ? left.toFixed(1) : Math.round(left)}s`;
  }
  if (t.status !== "generating" || !t.startedAt || t.percent <= 0 || t.percent >= 100) return undefined;
  const elapsed = (performance.now() - t.startedAt) / 1000;
  return `${Math.max(0, Math.round((elapsed / t.percent) * (100 - t.percent)))}s`;
}

function describe(t: Track): string {
  const parts = [`${Math.round(t.percent)}%`];
  if (t.step !== undefined && t.of !== undefined) parts.push(`step ${t.step}/${t.of}`);
  if (t.queuePosition !== undefined && t.queuePosition > 0) parts.push(`queue #${t.queuePosition}`);
  const left = eta(t);
  if (left) parts.push(`eta ${left}`);
  if (t.note) parts.push(t.note);
  return `${t.status} ${parts.join(" ")}`;
}

/** Draws the tracks: redrawn bars on a terminal, a line per change elsewhere. */
class Progress {
  private drawn = 0;
  private lastLine = new Map<string, string>();
  constructor(
    private readonly tracks: Track[],
    private readonly tty: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  update(id: string, change: Partial<Track>) {
    const t = this.tracks.find((x) => x.id === id);
    if (!t) return;
    Object.assign(t, change);
    if (t.status === "generating" && t.startedAt === undefined) t.startedAt = performance.now();
    this.render(t);
  }

  /** A message above the bars (the waiting message, a cancel notice). */
  say(text: string) {
    if (this.tty) this.clear();
    this.out.write(`${text}\n`);
    if (this.tty) this.redraw();
  }

  private render(t: Track) {
    if (this.tty) return this.redraw();
    const line = `${t.label} ${describe(t)}`;
    if (this.lastLine.get(t.id) === line) return;
    this.lastLine.set(t.id, line);
    this.out.write(`${line}\n`);
  }

  private clear() {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw() {
    this.clear();
    const width = Math.max(...this.tracks.map((t) => t.label.length));
    const barWidth = 28;
    for (const t of this.tracks) {
      const filled = Math.round((Math.min(100, Math.max(0, t.percent)) / 100) * barWidth);
      const bar = "█".repeat(filled) + "░".repeat(barWidth - filled);
      this.out.write(`${t.label.padEnd(width)} ${bar} ${describe(t)}\x1b[K\n`);
    }
    this.drawn = this.tracks.length;
  }
}

function applyEvent(progress: Progress, id: string, e: GenerationEvent) {
  switch (e.type) {
    case "image:queued":
      progress.update(id, { status: "queued" });
      break;
    case "image:progress":
      progress.update(id, {
        status: "generating",
        percent: typeof e.percent === "number" ? e.percent : 0,
        step: e.step,
        of: e.of,
        queuePosition: e.queuePosition,
        etaSeconds: typeof e.etaSeconds === "number" ? e.etaSeconds : undefined,
        etaAt: performance.now(),
      });
      break;
    case "image:completed":
      progress.update(id, { status: "completed", percent: 100, queuePosition: undefined });
      break;
    case "image:failed":
      progress.update(id, { status: "failed", queuePosition: undefined, note: typeof e.error === "string" ? e.error : undefined });
      break;
    case "image:cancelled":
      progress.update(id, { status: "cancelled", queuePosition: undefined });
      break;
  }
}

/**
 * Follows the generations to their end with progress, cancelling them on Ctrl-C (a second Ctrl-C
 * leaves at once), and returns their final records.
 */
async function follow(client: DarkroomClient, tracks: Track[]): Promise<Generation[]> {
  const progress = new Progress(tracks, !!process.stdout.isTTY);
  for (const t of tracks) progress.update(t.id, {});
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.cancelled);
    interrupted = true;
    progress.say("cancelling… (Ctrl-C again to leave without waiting)");
    for (const t of tracks) {
      if (["completed", "failed", "cancelled"].includes(t.status)) continue;
      client.cancel(t.id).catch((err) => {
        // Already finished: its final event is on the way.
        if (!(err instanceof DarkroomError && err.status === 409)) progress.say(`could not cancel ${t.label}: ${(err as Error).message}`);
      });
    }
  };
  process.on("SIGINT", onSigint);
  try {
    return await Promise.all(
      tracks.map(async (t) => {
        const [g] = await client.waitForImages(t.id, {
          onEvent: (e) => applyEvent(progress, t.id, e),
          onReconnect: ({ attempt }) => progress.update(t.id, { note: `reconnecting (${attempt})` }),
        });
        progress.update(t.id, { status: g!.status, note: g!.status === "failed" ? g!.errorMessage : undefined });
        return g!;
      }),
    );
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function exitCodeOf(generations: Generation[]): number {
  if (generations.some((g) => g.status === "cancelled")) return EXIT.cancelled;
  if (generations.some((g) => g.status !== "completed")) return EXIT.failed;
  return EXIT.done;
}

async function download(client: DarkroomClient, g: Generation, file: string): Promise<string | undefined> {
  const image = g.images[0];
  if (!image) return undefined;
  const bytes = await client.image(image.url);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

// ---------------------------------------------------------------------------------------------
// The commands

async function generate(values: Values, positionals: string[]): Promise<number> {
  const prompt = positionals.join(" ").trim();
  if (!prompt) throw new Usage('say what to make, e.g. ./darkroom generate "a fox in the snow"');
  if (prompt.includes("]")) throw new Usage('the description may not contain "]"');
  const client = clientFrom(values);
  const persona = values.persona as string | undefined;
  const reply = await client.reply((values.agent as string | undefined) ?? "cli", {
    userId: (values.user as string | undefined) ?? "cli",
    text: `[IMAGE: ${prompt}]`,
    ...(persona ? { persona: { id: persona, name: persona, personality: "" } } : {}),
  });
  const started = reply.generations[0];
  if (!started) throw new Error("the API started no generation");
  const waiting = reply.messages.find((m) => m.kind === "waiting") ?? reply.messages.at(-1);
  if (waiting) console.log(waiting.content);
  console.log(`generation ${started.id}`);
  return finish(client, [{ id: started.id, label: "image", status: "pending", percent: 0 }], (g) => (values.out as string | undefined) ?? `${g.id}.webp`);
}

async function watch(values: Values, positionals: string[]): Promise<number> {
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new Usage("give exactly one generation id");
  const client = clientFrom(values);
  const g = await client.generation(id);
  const out = values.out as string | undefined;
  return finish(client, [{ id: g.id, label: g.kind, status: g.status, percent: g.progress.percent }], out ? () => out : undefined);
}

async function regenerate(values: Values, positionals: string[]): Promise<number> {
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new Usage("give exactly one generation id");
  const client = clientFrom(values);
  const again = await client.regenerate(id);
  for (const m of again.messages) console.log(m.content);
  console.log(`generation ${again.generation.id} (another take of ${id})`);
  return finish(client, [{ id: again.generation.id, label: "image", status: "pending", percent: 0 }], (g) => (values.out as string | undefined) ?? `${g.id}.webp`);
}

async function series(values: Values, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new Usage(`unexpected argument "${positionals[0]}"`);
  const brand = values.brand as string | undefined;
  const model = values.model as string | undefined;
  if (!brand || !model) throw new Usage("--brand and --model are required");
  const year = values.year === undefined ? new Date().getFullYear() : Number(values.year);
  if (!Number.isInteger(year)) throw new Usage(`--year must be a whole number, not "${values.year}"`);
  const client = clientFrom(values);
  const angles = (values.angles as string | undefined)?.split(",").map((a) => a.trim()).filter(Boolean);
  const created = await client.createSeries({
    subject: { brand, model, year, color: (values.color as string | undefined) ?? "silver", bodyType: (values["body-type"] as string | undefined) ?? "car" },
    ...(angles ? { angles: angles as never } : {}),
    ...(values.reference ? { consistency: "reference" as const } : {}),
  });
  console.log(`series ${created.sessionId}`);
  const outDir = (values["out-dir"] as string | undefined) ?? created.sessionId.slice(0, 12);
  const byId = new Map(created.images.map((i) => [i.generationId, i.angle]));
  return finish(
    client,
    created.images.map((i) => ({ id: i.generationId, label: i.angle, status: i.status, percent: i.progress })),
    (g) => path.join(outDir, `${byId.get(g.id) ?? g.id}.webp`),
  );
}

async function finish(client: DarkroomClient, tracks: Track[], fileFor?: (g: Generation) => string): Promise<number> {
  const done = await follow(client, tracks);
  for (const g of done) {
    if (g.status === "completed" && fileFor) {
      const file = await download(client, g, fileFor(g));
      if (file) console.log(`saved ${file}`);
    } else if (g.status === "failed") {
      console.error(`failed: ${g.errorMessage ?? "no reason given"}`);
    }
  }
  return exitCodeOf(done);
}

/** Runs a client command and exits with its code; usage mistakes exit 2, API refusals 1. */
function runner(name: string, fn: (values: Values, positionals: string[]) => Promise<number>) {
  return async (values: Values, positionals: string[]) => {
    try {
      process.exit(await fn(values, positionals));
    } catch (err) {
      if (err instanceof Usage) usage(name, err.message);
      if (err instanceof DarkroomError) {
        console.error(`darkroom ${name}: ${err.message} (${err.status} ${err.code})`);
        process.exit(EXIT.failed);
      }
      console.error(`darkroom ${name}: ${(err as Error).message}`);
      process.exit(EXIT.failed);
    }
  };
}

const EXIT_HELP = "exit status: 0 done, 1 failed, 130 cancelled (Ctrl-C cancels the generation), 2 usage";

export const CLIENT_COMMANDS: Record<string, Command> = {
  generate: {
    summary: "make one image with a running API, with live progress; saves the WebP",
    usage: '"DESCRIPTION" [options]',
    positionals: true,
    options: { ...CONNECTION_OPTIONS, persona: { type: "string" }, out: { type: "string" }, agent: { type: "string" }, user: { type: "string" } },
    help: {
      DESCRIPTION: "what the picture shows, e.g. \"a fox in the snow\"",
      "--persona ID": "a persona id (GET /v1/personas), e.g. LINA: its template and size",
      "--out FILE": "where to save the WebP (default <generationId>.webp)",
      "--agent ID, --user ID": "the agent and user the photo is for (default cli)",
      ...CONNECTION_HELP,
    },
    run: runner("generate", generate),
    footer: EXIT_HELP,
  },
  series: {
    summary: "make a consistent multi-angle series of one car, one progress bar per angle",
    usage: "--brand BRAND --model MODEL [options]",
    options: {
      ...CONNECTION_OPTIONS,
      brand: { type: "string" },
      model: { type: "string" },
      year: { type: "string" },
      color: { type: "string" },
      "body-type": { type: "string" },
      angles: { type: "string" },
      "out-dir": { type: "string" },
      reference: { type: "boolean" },
    },
    help: {
      "--brand BRAND, --model MODEL": "the car (required)",
      "--year YEAR": "model year (default this year)",
      "--color COLOR, --body-type TYPE": "default silver, car",
      "--angles LIST": "comma-separated: front, front_three_quarter, side, rear_three_quarter, rear, top, interior, wheel_detail (default front,side,rear)",
      "--reference": "reference mode: the other angles start from the main view's picture",
      "--out-dir DIR": "where to save <angle>.webp (default the session id's first 12 characters)",
      ...CONNECTION_HELP,
    },
    run: runner("series", series),
    footer: EXIT_HELP,
  },
  regenerate: {
    summary: "take another one: a finished photo again with a new seed, followed with live progress; saves the WebP",
    usage: "GENERATION_ID [options]",
    positionals: true,
    options: { ...CONNECTION_OPTIONS, out: { type: "string" } },
    help: {
      GENERATION_ID: "a finished companion photo or chat image",
      "--out FILE": "where to save the new WebP (default <new generationId>.webp)",
      ...CONNECTION_HELP,
    },
    run: runner("regenerate", regenerate),
    footer: EXIT_HELP,
  },
  watch: {
    summary: "follow one generation to its end with live progress",
    usage: "GENERATION_ID [options]",
    positionals: true,
    options: { ...CONNECTION_OPTIONS, out: { type: "string" } },
    help: { GENERATION_ID: "the generation to follow", "--out FILE": "save its image there when it completes", ...CONNECTION_HELP },
    run: runner("watch", watch),
    footer: EXIT_HELP,
  },
};
