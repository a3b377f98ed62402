/**
 * Determinism: every committed history (recorded from real runs by test/replay/record.ts) must replay
 * against today's workflow code, under Bun and under Node. A change that breaks this must be
 * versioned with `patched()` instead of silently shipping.
 */
import { expect, test, setDefaultTimeout } from "bun:test";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const script = path.resolve(import.meta.dir, "replay/replay.mjs");
const histories = fs.readdirSync(path.resolve(import.meta.dir, "histories")).filter((f) => f.endsWith(".json"));

test("committed histories cover every workflow: success, failure, queueing, cancellation", () => {
  for (const kind of ["completed", "failed", "queued", "cancelled"]) {
    expect(histories).toContain(`companionPhoto-${kind}.json`);
    // The same cases after admission and storing each became one local activity (a `patched` step).
    expect(histories).toContain(`companionPhoto-fewer-local-steps-${kind}.json`);
  }
  for (const kind of ["completed", "partial-failed-angle", "horde-angle", "reference", "reference-side"]) expect(histories).toContain(`angleSeries-${kind}.json`);
  for (const kind of ["completed", "cached", "failed", "delivery-retried"]) {
    expect(histories).toContain(`chatImage-${kind}.json`);
    // The same cases after the flow began writing its own first record (a `patched` step).
    expect(histories).toContain(`chatImage-records-itself-${kind}.json`);
    // And after the Telegram chat began showing "sending photo…" (another `patched` step).
    expect(histories).toContain(`chatImage-upload-photo-status-${kind}.json`);
  }
  for (const kind of ["completed", "failed"]) expect(histories).toContain(`variations-${kind}.json`);
  // A GPU job that outwaited its pickup on an instance still working, and waited there again (a `patched` step).
  expect(histories).toContain("companionPhoto-pickup-rewait.json");
  // Another take: the seed, the recorded prompt and the link to the original in the input.
  for (const flow of ["companionPhoto", "chatImage"]) expect(histories).toContain(`${flow}-regenerated.json`);
});

for (const runtime of ["bun", "node"] as const) {
  test(`committed histories replay under ${runtime}`, () => {
    const bin = runtime === "bun" ? process.execPath : "node";
    const run = spawnSync(bin, [script], { encoding: "utf8", timeout: 240_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toContain(`${histories.length}/${histories.length} histories replayed on ${runtime}`);
    expect(run.status).toBe(0);
  });
}

test("committed histories replay with OpenTelemetry's workflow interceptors (a worker exporting traces)", () => {
  const run = spawnSync(process.execPath, [script, "--tracing"], { encoding: "utf8", timeout: 240_000 });
  const output = `${run.stdout}\n${run.stderr}`;
  expect(output).toContain(`${histories.length}/${histories.length} histories replayed on bun`);
  expect(output).toContain("with the tracing interceptors");
  expect(run.status).toBe(0);
});
