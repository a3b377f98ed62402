/**
 * The demo console in a real headless Chromium (Debian's `chromium`, driven by playwright-core),
 * against a real stack and a Telegram simulator: each tab is used the way a person would, end to
 * end — a companion photo (progress, picture, cancel and retry), an angle series whose tiles fill
 * in, a persona dialog whose picture reaches Telegram, and a task whose SSE frames run to SUCCESS.
 * Screenshots of every tab (desktop and a 375×740 phone) are kept under $DARKROOM_TEST_ARTIFACTS
 * (default .darkroom/test-artifacts/) to look at.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startTelegramSimulator, type TelegramSimulator } from "../simulators/telegram";
import { startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ARTIFACTS = path.resolve(process.env.DARKROOM_TEST_ARTIFACTS || path.join(import.meta.dir, "..", ".darkroom", "test-artifacts"));
const WAIT = { timeout: 90_000 };

describe("demo console", () => {
  let stack: Stack;
  let telegram: TelegramSimulator;
  let browser: BrowserContext;
  let profile: string;
  let consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    telegram = await startTelegramSimulator({ token: "demo-test-token" });
    // Slow enough steps that a person (and this test) can press Cancel while the GPU works.
    stack = await startStack({
      instances: 2,
      stepMs: 200,
      steps: 12,
      env: { TELEGRAM_API_URL: telegram.url, TELEGRAM_BOT_TOKEN: telegram.token, DIALOG_IMAGE_EVERY: "2" },
    });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-chromium-"));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1100, height: 760 } });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await telegram?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  async function open(tab = "companion", viewport?: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage();
    if (viewport) await page.setViewportSize(viewport);
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    await page.goto(`${stack.api}/demo?key=${encodeURIComponent(stack.key)}&telegram=${encodeURIComponent(telegram.url)}#${tab}`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "live");
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `demo-${name}.png`), fullPage: false });

  /** Records every value the progress bars under `selector` take, as the page shows them. */
  async function watchProgress(page: Page, selector: string) {
    await page.evaluate((sel) => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.attributeName === "aria-valuenow") seen.push(Number((r.target as Element).getAttribute("aria-valuenow")));
        }
      }).observe(document.querySelector(sel)!, { subtree: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    }, selector);
  }
  const progressSeen = (page: Page) => page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);

  /**
   * Records, in order, each picture the live preview above the progress bar shows (its src, set
   * once the preview has loaded) and the moment the finished photo is added to the chat.
   */
  async function watchPreviews(page: Page) {
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { previewSeen: string[] }).previewSeen = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          const target = r.target as HTMLElement;
          if (r.type === "attributes" && target.matches("img.preview") && (target as HTMLImageElement).naturalWidth > 0) {
            seen.push(`preview ${(target as HTMLImageElement).src}`);
          }
          for (const n of Array.from(r.addedNodes)) {
            if (n instanceof HTMLElement && n.querySelector("img:not(.preview)")) seen.push("photo");
          }
        }
      }).observe(document.getElementById("log")!, { subtree: true, childList: true, attributes: true, attributeFilter: ["src"] });
    });
  }
  const previewSeen = (page: Page) => page.evaluate(() => (window as unknown as { previewSeen: string[] }).previewSeen);

  const imagesLoaded = (page: Page, selector: string, count: number) =>
    page.waitForFunction(
      ([sel, n]) => {
        const imgs = Array.from(document.querySelectorAll(sel as string)) as HTMLImageElement[];
        return imgs.length >= (n as number) && imgs.every((i) => i.complete && i.naturalWidth > 16);
      },
      [selector, count] as const,
      WAIT,
    );

  test("companion chat: waiting message, a moving progress bar and a sharpening preview, then the photo", async () => {
    const page = await open("companion");
    await watchProgress(page, "#log");
    await watchPreviews(page);
    await page.fill("#text", "send me a photo of you at the beach");
    await page.press("#text", "Enter");

    const waiting = page.locator(".agent", { has: page.locator(".progress") });
    await waiting.waitFor({ timeout: 10_000 });
    expect((await waiting.innerText()).trim().length).toBeGreaterThan(5);

    await imagesLoaded(page, "#log .agent img:not(.preview)", 1);
    const moving = [...new Set(await progressSeen(page))].filter((p) => p > 0);
    expect(moving.length).toBeGreaterThan(1);
    expect(moving).toEqual([...moving].sort((a, b) => a - b));
    // The picture developed above the progress bar: it changed at least once before the photo came,
    // and the preview made way for the photo.
    const shown = await previewSeen(page);
    const photoAt = shown.indexOf("photo");
    expect(photoAt).toBeGreaterThan(0);
    const previews = new Set(shown.slice(0, photoAt));
    expect(previews.size).toBeGreaterThanOrEqual(2);
    expect(shown.slice(photoAt + 1).some((s) => s.startsWith("preview"))).toBe(false);
    expect(await page.locator("#log img.preview").count()).toBe(0);
    // A finished photo offers neither cancel nor retry.
    expect(await page.locator("#log button").count()).toBe(0);
    await shot(page, "companion");
    await page.close();
  });

  test("companion chat: cancel a photo while it is made, then retry it to the picture", async () => {
    const page = await open("companion");
    await page.fill("#text", "send me a picture of you in the mountains");
    await page.press("#text", "Enter");
    const waiting = page.locator(".agent[data-state]").last();
    await waiting.locator("button.cancel").click(WAIT);
    await waiting.locator("button.retry").waitFor(WAIT);
    const generationId = await waiting.getAttribute("data-generation");
    expect(await waiting.getAttribute("data-state")).toBe("cancelled");
    expect((await stack.request("GET", `/v1/generations/${generationId}`)).body.status).toBe("cancelled");
    await shot(page, "companion-cancelled");

    await waiting.locator("button.retry").click();
    await imagesLoaded(page, `#log .agent[data-generation="${generationId}"] img:not(.preview)`, 1);
    expect(await waiting.getAttribute("data-state")).toBe("completed");
    expect((await stack.request("GET", `/v1/generations/${generationId}`)).body.status).toBe("completed");
    await page.close();
  });

  test("angle series: one tile per angle fills in, progress then the image", async () => {
    const page = await open("series");
    await page.locator("#seriesForm").waitFor();
    await page.fill("#seriesForm input[name=brand]", "Porsche");
    await page.fill("#seriesForm input[name=model]", "911");
    await page.fill("#seriesForm input[name=color]", "green");
    await page.fill("#seriesForm input[name=bodyType]", "coupe");
    await page.click("#seriesStart");
    await page.locator("#tiles .tile").first().waitFor();
    await watchProgress(page, "#tiles");
    expect(await page.locator("#tiles .tile").evaluateAll((ts) => ts.map((t) => (t as HTMLElement).dataset.angle))).toEqual(["front", "side", "rear"]);

    await imagesLoaded(page, "#tiles .tile img", 3);
    await page.waitForFunction(() => document.getElementById("seriesInfo")?.dataset.status === "completed", undefined, WAIT);
    expect(await page.locator("#seriesInfo").innerText()).toContain("3/3 images");
    expect((await progressSeen(page)).some((p) => p > 0 && p < 100)).toBe(true);
    await shot(page, "series");

    // Reference mode: the same form, the other angles start from the main view's picture.
    await page.selectOption("#seriesForm select[name=consistency]", "reference");
    await page.click("#seriesStart");
    await page.waitForFunction(() => document.getElementById("seriesInfo")?.dataset.status === "completed", undefined, WAIT);
    await imagesLoaded(page, "#tiles .tile img", 3);
    expect(await page.locator('#tiles .tile[data-main="true"]').getAttribute("data-angle")).toBe("front");
    await page.close();
  });

  test("persona dialog: the cadence counter moves, a picture is triggered and Telegram receives it", async () => {
    const page = await open("dialog");
    await page.waitForFunction(() => (document.getElementById("persona") as HTMLSelectElement).options.length > 0);
    const personas = (await stack.request("GET", "/v1/personas")).body.personas as Array<{ id: string }>;
    expect(await page.locator("#persona option").count()).toBe(personas.length);
    const chatId = (await page.locator("#tgChat").innerText()).replace(/\D/g, "");
    expect(chatId).toMatch(/^\d+$/);

    await page.fill("#dialogText", "Hi! What are you up to today?");
    await page.press("#dialogText", "Enter");
    // Every 2 messages here (DIALOG_IMAGE_EVERY=2): the user's message and the persona's answer.
    await page.waitForFunction(() => document.getElementById("cadence")?.dataset.count === "2", undefined, WAIT);
    expect(await page.locator("#cadence").innerText()).toContain("message 2");
    await page.locator("#dialogLog .note[data-generation]").waitFor(WAIT);

    await imagesLoaded(page, "#tgReceived .item.photo img", 1);
    expect(telegram.photos.filter((p) => p.chatId === chatId).length).toBe(1);
    await page.locator('#dialogLog .note[data-state="completed"]').waitFor(WAIT);
    await shot(page, "dialog");
    await page.close();
  });

  test("tasks: pick a flow, start it, and watch its SSE frames up to SUCCESS", async () => {
    const page = await open("tasks");
    await page.waitForFunction(() => (document.getElementById("flow") as HTMLSelectElement).options.length > 0);
    const flows = (await stack.request("GET", "/v1/flows")).body.flows as Array<{ name: string }>;
    expect(await page.locator("#flow option").allInnerTexts()).toEqual(flows.map((f) => f.name));
    await page.selectOption("#flow", "variations");
    expect(JSON.parse(await page.locator("#taskInputs").inputValue())).toHaveProperty("prompt");
    await page.click("#taskStart");

    await page.locator("#taskState .badge.SUCCESS").waitFor(WAIT);
    // Each frame as it came over the wire: `id: N` and `data: {"state": …, "details": {…}}`.
    const frames = await page.locator("#frames .frame pre.raw").allTextContents();
    const states = frames.map((f) => JSON.parse(f.slice(f.indexOf("data:") + 5)).state as string);
    expect(frames.every((f) => /^id: \d+$/m.test(f))).toBe(true);
    expect(await page.locator("#frames .frame").evaluateAll((fs) => fs.map((f) => (f as HTMLElement).dataset.state))).toEqual(states);
    expect(states.length).toBeGreaterThan(2);
    expect(states.at(-1)).toBe("SUCCESS");
    expect(states).toContain("PROGRESS");
    await imagesLoaded(page, "#frames img", 2);
    await shot(page, "tasks");
    await page.close();
  });

  test("on a phone (375×740) every tab fits the screen", async () => {
    const page = await open("companion", { width: 375, height: 740 });
    await page.fill("#text", "send me a selfie of you with a coffee");
    await page.press("#text", "Enter");
    await imagesLoaded(page, "#log .agent img:not(.preview)", 1);
    for (const tab of ["companion", "series", "dialog", "tasks"]) {
      await page.click(`#tab-${tab}`);
      await page.locator(`#${tab}`).waitFor();
      if (tab === "series") {
        await page.click("#seriesStart");
        await imagesLoaded(page, "#tiles .tile img", 3);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ tab, overflow }).toEqual({ tab, overflow: 0 });
      await shot(page, `phone-${tab}`);
    }
    await page.close();
  });

  test("the page logged no errors", () => {
    expect(consoleErrors).toEqual([]);
  });
});
