/**
 * When a dialog gets its next picture, and with which seed. Both come from hashes of the dialog's
 * identity, never from workflow randomness: the same dialog always sees the same cadence and the
 * same seeds (reproducible, testable, and replays never re-draw them), while dialogs differ.
 *
 * The interval generator is counter-based: draw n is sha256(tenant/dialog#n), which is the same as
 * a dialog-seeded generator advanced n times, without having to replay the n-1 earlier draws.
 */
import { createHash } from "node:crypto";

export interface Interval {
  min: number;
  max: number;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

const dialogKey = (tenantId: string, dialogId: string) => `${tenantId}/${dialogId}`;

/** The `draw`-th interval (0-based) of a dialog: how many messages until the next picture. */
export function drawInterval(tenantId: string, dialogId: string, draw: number, every: Interval): number {
  const span = every.max - every.min + 1;
  if (span <= 1) return every.min;
  const value = digest(`${dialogKey(tenantId, dialogId)}#interval#${draw}`).readUInt32BE(0);
  return every.min + (value % span);
}

/** The diffusion seed of the picture triggered at `messageNumber`: fixed per dialog and message. */
export function imageSeed(tenantId: string, dialogId: string, messageNumber: number): number {
  // 48 bits: a safe integer in JSON and JavaScript, well inside ComfyUI's seed range.
  return digest(`${dialogKey(tenantId, dialogId)}#seed#${messageNumber}`).readUIntBE(0, 6);
}

/** The message numbers that trigger a picture in the first `messages` messages of a dialog. */
export function triggerSchedule(tenantId: string, dialogId: string, messages: number, every: Interval): number[] {
  const out: number[] = [];
  let next = drawInterval(tenantId, dialogId, 0, every);
  for (let draw = 1; next <= messages; draw++) {
    out.push(next);
    next += drawInterval(tenantId, dialogId, draw, every);
  }
  return out;
}
