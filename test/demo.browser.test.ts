/**
 * The demo chat page in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * a person asks for a photo, sees the waiting message at once, the progress bar move over the
 * WebSocket, and then the picture load.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe("demo chat page", () => {
  let stack: Stack;
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    stack = await startStack({ instances: 1, stepMs: 120, steps: 10 });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-chromium-"));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test("ask for a beach photo: waiting message, a moving progress bar, then the photo", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.api}/demo?key=${encodeURIComponent(stack.key)}`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
    // Every value the progress bar takes, as the page shows it.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          const el = r.target as Element;
          if (r.attributeName === "aria-valuenow") seen.push(Number(el.getAttribute("aria-valuenow")));
        }
      }).observe(document.getElementById("log")!, { subtree: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    });

    await page.fill("#text", "send me a photo of you at the beach");
    await page.press("#text", "Enter");

    const waiting = page.locator(".agent", { has: page.locator(".progress") });
    await waiting.waitFor({ timeout: 10_000 });
    expect((await waiting.innerText()).trim().length).toBeGreaterThan(5);

    const photo = page.locator(".agent img");
    await photo.waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector(".agent img") as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0;
    });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    const moving = [...new Set(seen)].filter((p) => p > 0);
    expect(moving.length).toBeGreaterThan(1);
    expect(moving).toEqual([...moving].sort((a, b) => a - b));
    const size = await photo.evaluate((img: HTMLImageElement) => ({ w: img.naturalWidth, h: img.naturalHeight }));
    expect(size.w).toBeGreaterThan(16);
    expect(size.h).toBeGreaterThan(16);
  });
});
