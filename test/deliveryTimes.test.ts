/**
 * The time from an instance's finish to the chat being told, as a GPU worker reads it back from
 * PostgreSQL for its ETAs: measured on the database's clock even when the GPU host's clock is off,
 * only for flows whose generation completes with its one picture, and each picture once.
 */
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import type { OpenedDatabase } from "../lib/db";
import { createDeliveryTimes } from "../activities/comfyui/deliveryTimes";
import { throughputOf } from "../activities/comfyui/throughput";
import { freshDatabase } from "./support/postgres";

setDefaultTimeout(180_000);

const TENANT = "delivery-tenant";
let db: OpenedDatabase;

beforeAll(async () => {
  db = await freshDatabase({ tenant: TENANT });
});

afterAll(async () => {
  await db?.close();
});

async function generation(kind: "companion_photo" | "angle_series" | "chat_image"): Promise<string> {
  const id = crypto.randomUUID();
  await db.prisma.generation.create({ data: { id, tenantId: TENANT, kind, status: "generating", description: "a lighthouse", workflowId: `wf-${id}` } });
  return id;
}

/** Ends a generation on the database's clock, `laterMs` from now. */
async function end(id: string, status: "completed" | "failed", laterMs = 0): Promise<void> {
  await db.prisma.$executeRaw`
    UPDATE "Generation" SET "status" = ${status}::"GenerationStatus", "completedAt" = clock_timestamp() + make_interval(secs => ${laterMs / 1000}) WHERE "id" = ${id}`;
}

test("a photo's delivery time is read on the database's clock, once, and only for single-picture flows", async () => {
  const instance = `gpu-${crypto.randomUUID().slice(0, 8)}`;
  const times = createDeliveryTimes(db.prisma, (err) => {
    throw err;
  });
  // This GPU host's clock is five minutes ahead of the database's.
  const realNow = Date.now;
  Date.now = () => realNow() + 300_000;
  try {
    const [photo, series, failed, later] = await Promise.all([generation("companion_photo"), generation("angle_series"), generation("companion_photo"), generation("chat_image")]);
    const finishedAt = realNow();
    for (const id of [photo, series, failed]) times.finished(instance, id);
    await times.settled();
    expect(throughputOf(instance).deliveryMs()).toBeUndefined();

    // The photo is delivered 150 ms after its finish; a series completes with all its pictures
    // and a failed photo never is delivered: neither is a delivery time (both would read minutes).
    await Bun.sleep(150);
    await end(photo, "completed");
    await end(series, "completed", 240_000);
    await end(failed, "failed", 240_000);
    const readBefore = realNow();
    times.finished(instance, later);
    await times.settled();
    const measured = throughputOf(instance).deliveryMs()!;
    expect(measured).toBeGreaterThanOrEqual(150 - 5);
    expect(measured).toBeLessThanOrEqual(readBefore - finishedAt + 5);

    // Read once: later reads do not count the photo again, and a chat image counts like a photo.
    await end(later, "completed", 1_000);
    times.finished(instance, await generation("companion_photo"));
    await times.settled();
    const both = throughputOf(instance).deliveryMs()!;
    expect(both).toBeGreaterThan(measured);
    times.finished(instance, await generation("companion_photo"));
    await times.settled();
    expect(throughputOf(instance).deliveryMs()).toBe(both);
  } finally {
    Date.now = realNow;
  }
});
