/**
 * Turns a prompt's preview frames into small live previews for the chat: at most one every
 * `minIntervalMs`, each re-encoded as a WebP no larger than `maxEdge` on a side.
 *
 * A sampler sends a frame per step, often several a second and tens of KB each; a chat needs a few
 * a second at thumbnail size. Frames in between are dropped undecoded: only the newest one is kept,
 * and it goes out when the interval has passed (so the picture a prompt ends on is not lost), or
 * at once when it shows the sampler's last step or the prompt finishes. One preview is encoded and
 * delivered at a time, in order.
 */
import { loadSharp } from "../../lib/sharp";
import type { ComfyPromptEvent } from "./follow";

export interface ComfyPreview {
  generationId: string;
  instance: string;
  promptId: string;
  /** The sampler step the frame shows, and the sampler's step count, when known. */
  step?: number;
  of?: number;
  webp: Uint8Array;
  width: number;
  height: number;
}

export interface PreviewOptions {
  minIntervalMs: number;
  maxEdge: number;
  quality: number;
}

export const DEFAULT_PREVIEW_OPTIONS: PreviewOptions = { minIntervalMs: 400, maxEdge: 256, quality: 60 };

interface Frame {
  promptId: string;
  image: Uint8Array;
  step?: number;
  of?: number;
  /** An event 4 frame comes before its step's `progress`: its step is known only once that arrives. */
  awaitingStep: boolean;
}

/** The WebP of one frame, at most `maxEdge` px on its longer side. */
export async function previewWebp(image: Uint8Array, opts: Pick<PreviewOptions, "maxEdge" | "quality"> = DEFAULT_PREVIEW_OPTIONS) {
  const sharp = await loadSharp();
  const { data, info } = await sharp(image, { failOn: "error" })
    .resize(opts.maxEdge, opts.maxEdge, { fit: "inside", withoutEnlargement: true })
    .webp({ quality: opts.quality, effort: 2 })
    .toBuffer({ resolveWithObject: true });
  return { webp: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

export class PreviewReporter {
  private latest: Frame | undefined;
  private lastStep: { promptId: string; step: number; of: number } | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly generationId: string,
    private readonly instance: string,
    private readonly hook: (preview: ComfyPreview) => Promise<void> | void,
    private readonly onError: (err: unknown) => void,
    private readonly opts: PreviewOptions = DEFAULT_PREVIEW_OPTIONS,
  ) {}

  observe(promptId: string, event: ComfyPromptEvent): void {
    if (this.closed) return;
    if (event.type === "progress") {
      if (!(event.max > 0)) return;
      this.lastStep = { promptId, step: event.value, of: event.max };
      const frame = this.latest;
      if (frame?.awaitingStep && frame.promptId === promptId) {
        frame.step = event.value;
        frame.of = event.max;
        frame.awaitingStep = false;
        this.schedule();
      }
      return;
    }
    if (event.type !== "preview") return;
    const known = this.lastStep?.promptId === promptId ? this.lastStep : undefined;
    // Event 1 follows its step's `progress`; event 4 precedes it.
    this.latest =
      event.framing === 1
        ? { promptId, image: event.image, step: known?.step, of: known?.of, awaitingStep: false }
        : { promptId, image: event.image, awaitingStep: true };
    this.schedule();
  }

  /** The prompt finished: the newest frame goes out now, whatever the interval; resolves once delivered. */
  async finish(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight) await this.inFlight;
    clearTimeout(this.timer);
    this.timer = undefined;
    const frame = this.takeLatest();
    if (frame && !this.closed) await this.deliver(frame);
  }

  /** Stops: what is pending is dropped, what is being delivered is awaited. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    while (this.inFlight) await this.inFlight;
  }

  private takeLatest(): Frame | undefined {
    const frame = this.latest;
    this.latest = undefined;
    if (frame?.awaitingStep) {
      // Its `progress` never came (the prompt ended first): the step after the last one seen.
      const known = this.lastStep?.promptId === frame.promptId ? this.lastStep : undefined;
      if (known) {
        frame.step = Math.min(known.step + 1, known.of);
        frame.of = known.of;
      }
    }
    return frame;
  }

  private schedule(): void {
    if (this.closed || this.inFlight || !this.latest || this.latest.awaitingStep) return;
    // The sampler's last step goes out at once, whatever the interval: it is what the prompt ends
    // on, and sent now it is delivered while the instance decodes and saves the picture instead of
    // after, where it would hold up the result.
    const lastStep = this.latest.step !== undefined && this.latest.step === this.latest.of;
    if (this.timer && !lastStep) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const wait = lastStep ? 0 : this.lastSentAt + this.opts.minIntervalMs - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      return;
    }
    const frame = this.takeLatest();
    if (frame) void this.deliver(frame);
  }

  private deliver(frame: Frame): Promise<void> {
    this.lastSentAt = performance.now();
    const run = (async () => {
      try {
        const { webp, width, height } = await previewWebp(frame.image, this.opts);
        if (this.closed) return;
        await this.hook({
          generationId: this.generationId,
          instance: this.instance,
          promptId: frame.promptId,
          ...(frame.step !== undefined ? { step: frame.step, of: frame.of } : {}),
          webp,
          width,
          height,
        });
      } catch (err) {
        // A frame that does not decode, or a write that failed, costs one preview, never the generation.
        this.onError(err);
      }
    })();
    this.inFlight = run.finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
    return this.inFlight;
  }
}
