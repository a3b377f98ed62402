/**
 * Daily image quotas on real parts (PostgreSQL, Temporal, the ComfyUI simulator): a burst of chat
 * replies spends exactly the user's quota and the rest are refused in character at once; the
 * tenant's quota holds across users; routes without a chat answer 429 with Retry-After; a start
 * that fails gives its images back; and a new UTC day starts from zero.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { templateVariants } from "../activities/llm/templates";
import { setTenantLimits } from "../lib/apiKeys";
import { QuotaExceeded, quotaService, startSpending } from "../service/quotas";
import { eventually, startStack, type Stack } from "./support/stack";

setDefaultTimeout(180_000);

const SOFIA = { name: "Sofia", personality: "Alegre y divertida", language: "es" };
const USER_LIMIT = 7;
const nextMidnight = () => new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000).toISOString();
const today = () => new Date(new Date().toISOString().slice(0, 10));

describe("daily image quotas", () => {
  let stack: Stack;
  const tag = Math.random().toString(36).slice(2, 8);
  const BETA = `beta${tag}`;
  const BETA_KEY = `key-beta-${tag}-0123456789`;
  beforeAll(async () => {
    stack = await startStack({
      stepMs: 5,
      steps: 3,
      tenants: { acme: `key-acme-${tag}-0123456789`, [BETA]: BETA_KEY },
      env: { DARKROOM_QUOTA_USER_DAY: String(USER_LIMIT), DIALOG_IMAGE_EVERY: "1" },
    });
  });
  afterAll(() => stack?.stop());

  const reply = (userId: string, key?: string) =>
    stack.request("POST", "/v1/agents/sofia/replies", { userId, text: "¡Dale! [IMAGE: selfie mía en la playa]", persona: SOFIA }, key);
  const counter = async (tenantId: string, userKey: string) =>
    (await stack.db.prisma.quotaUsage.findUnique({ where: { tenantId_userKey_day: { tenantId, userKey, day: today() } } }))?.used ?? 0;
  const finished = (id: string, key?: string) =>
    eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${id}`, undefined, key)).body;
      return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
    }, `generation ${id}`);

  test(`20 replies at once against a limit of ${USER_LIMIT}: exactly ${USER_LIMIT} photos start, 13 are refused in character, the counter says ${USER_LIMIT}`, async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => reply("u-burst")));
    for (const a of answers) expect(a.status).toBe(200);
    const started = answers.filter((a) => a.body.generations.length === 1);
    const refused = answers.filter((a) => a.body.generations.length === 0);
    expect(started).toHaveLength(USER_LIMIT);
    expect(refused).toHaveLength(13);
    for (const a of started) expect(a.body.messages.map((m: { kind: string }) => m.kind)).toEqual(["text", "waiting"]);
    const refusalTexts = templateVariants("quota", "es", "cheerful");
    for (const a of refused) {
      expect(a.body.text).toBe("¡Dale!");
      const [, refusal] = a.body.messages;
      expect(refusal.kind).toBe("quota");
      expect(refusalTexts).toContain(refusal.content);
      expect(refusal.quota).toEqual({ scope: "user", limit: USER_LIMIT, used: USER_LIMIT, resetsAt: nextMidnight() });
    }
    // What was started is exactly what was counted: no double spend, no lost count.
    expect(await stack.db.prisma.generation.count({ where: { tenantId: stack.tenant, userId: "u-burst" } })).toBe(USER_LIMIT);
    expect(await counter(stack.tenant, "user:u-burst")).toBe(USER_LIMIT);
    // Another user of the tenant has a quota of their own.
    expect((await reply("u-other")).body.generations).toHaveLength(1);
    for (const a of started) expect((await finished(a.body.generations[0].id)).status).toBe("completed");
  });

  test("a tenant's own concurrency cap: its users' photos run one at a time, the rest queue", async () => {
    await setTenantLimits(stack.db.prisma, stack.tenant, { maxConcurrentPerUser: 1 });
    try {
      const answers = await Promise.all([1, 2, 3].map(() => reply("u-one-at-a-time")));
      const ids = answers.map((a) => a.body.generations[0].id as string);
      let most = 0;
      await eventually(async () => {
        const rows = await stack.db.prisma.generation.findMany({ where: { id: { in: ids } } });
        most = Math.max(most, rows.filter((r) => r.slotClaimedAt && !r.slotReleasedAt).length);
        return rows.every((r) => r.status === "completed" && r.slotReleasedAt) ? true : undefined;
      }, "the three photos, one after another");
      expect(most).toBe(1);
      // The server-wide setting (2 here) would have run two at once: the claims did not overlap.
      const rows = await stack.db.prisma.generation.findMany({ where: { id: { in: ids } }, orderBy: { slotClaimedAt: "asc" } });
      for (const [i, r] of rows.slice(1).entries()) expect(r.slotClaimedAt!.getTime()).toBeGreaterThanOrEqual(rows[i]!.slotReleasedAt!.getTime());
    } finally {
      await setTenantLimits(stack.db.prisma, stack.tenant, { maxConcurrentPerUser: null });
    }
  });

  test("a tenant's own daily limit holds across its users; routes without a chat answer 429 with Retry-After", async () => {
    await setTenantLimits(stack.db.prisma, BETA, { imagesPerTenantPerDay: 3 });
    const answers = await Promise.all(["b1", "b2", "b3", "b4", "b5", "b6"].map((u) => reply(u, BETA_KEY)));
    const started = answers.filter((a) => a.body.generations.length === 1);
    expect(started).toHaveLength(3);
    for (const a of answers.filter((a) => a.body.generations.length === 0)) {
      expect(a.body.messages[1]).toMatchObject({ kind: "quota", quota: { scope: "tenant", limit: 3, used: 3 } });
    }
    expect(await counter(BETA, "")).toBe(3);
    // The other tenant is not affected.
    expect((await reply("u-acme")).body.generations).toHaveLength(1);

    const expectTooMany = (res: { status: number; body: any; headers: Headers }) => {
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe("quota_exceeded");
      expect(res.body.error.details.quota).toMatchObject({ scope: "tenant", limit: 3, used: 3, resetsAt: nextMidnight() });
      const retryAfter = Number(res.headers.get("retry-after"));
      const expected = (Date.parse(nextMidnight()) - Date.now()) / 1000;
      expect(retryAfter).toBeGreaterThan(0);
      expect(Math.abs(retryAfter - expected)).toBeLessThan(30);
    };
    expectTooMany(await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { prompt: "a fox in the snow", count: 1 } }, BETA_KEY));
    expectTooMany(await stack.request("POST", "/v1/tasks", { flow: "companion_photo", inputs: { agentId: "sofia", userId: "b9", description: "beach" } }, BETA_KEY));
    expectTooMany(
      await stack.request("POST", "/v1/series", { subject: { brand: "BMW", model: "X5", year: 2020, color: "white", bodyType: "SUV" }, nonce: tag }, BETA_KEY),
    );
    const first = started[0]!.body.generations[0].id;
    await finished(first, BETA_KEY);
    expectTooMany(await stack.request("POST", `/v1/generations/${first}/regenerate`, undefined, BETA_KEY));
    // Refusals spent nothing and started nothing.
    expect(await counter(BETA, "")).toBe(3);
    expect(await stack.db.prisma.generation.count({ where: { tenantId: BETA } })).toBe(3);

    // A dialog whose picture is due hears the persona's refusal; as a task it is a 429.
    const dialog = await stack.request("POST", `/v1/dialogs/d-${tag}/messages`, { role: "user", persona: "LINA", text: "send me a photo" }, BETA_KEY);
    expect(dialog.status).toBe(200);
    expect(dialog.body).toMatchObject({ messageCount: 1, imageTriggered: false, quota: { scope: "tenant", limit: 3, used: 3 } });
    expect(dialog.body.generationId).toBeUndefined();
    expect(dialog.body.messages[0].kind).toBe("quota");
    expectTooMany(await stack.request("POST", "/v1/tasks", { flow: "chat_image", inputs: { dialogId: `d-${tag}`, persona: "LINA", text: "and now?" } }, BETA_KEY));

    // The operator raises the limit: pictures start again.
    await setTenantLimits(stack.db.prisma, BETA, { imagesPerTenantPerDay: 4 });
    const again = await stack.request("POST", `/v1/generations/${first}/regenerate`, undefined, BETA_KEY);
    expect(again.status).toBe(201);
    expect(await counter(BETA, "")).toBe(4);
    await finished(again.body.generation.id, BETA_KEY);
  });

  test("a new UTC day starts from zero; resetsAt and Retry-After name the next midnight", async () => {
    let now = new Date("2031-05-06T22:59:30.000Z");
    const quotas = quotaService({ prisma: stack.db.prisma, config: stack.config, clock: () => now });
    const limits = { userPerDay: 2, tenantPerDay: undefined, maxConcurrentPerUser: 2 };
    await quotas.reserve({ tenantId: stack.tenant, userKey: "user:clock", limits });
    await quotas.reserve({ tenantId: stack.tenant, userKey: "user:clock", limits });
    const refused = await quotas.reserve({ tenantId: stack.tenant, userKey: "user:clock", limits }).catch((err) => err);
    expect(refused).toBeInstanceOf(QuotaExceeded);
    expect(refused.quota).toEqual({ scope: "user", limit: 2, used: 2, resetsAt: "2031-05-07T00:00:00.000Z" });
    expect(refused.retryAfterSeconds).toBe(3630);

    now = new Date("2031-05-07T00:00:01.000Z");
    await quotas.reserve({ tenantId: stack.tenant, userKey: "user:clock", limits });
    expect(await quotas.usage(stack.tenant, "user:clock")).toEqual({ day: "2031-05-07", tenant: 0, user: 1 });
    // Yesterday's counter is kept as it was.
    const rows = await stack.db.prisma.quotaUsage.findMany({ where: { tenantId: stack.tenant, userKey: "user:clock" }, orderBy: { day: "asc" } });
    expect(rows.map((r) => [r.day.toISOString().slice(0, 10), r.used])).toEqual([
      ["2031-05-06", 2],
      ["2031-05-07", 1],
    ]);
  });

  test("a start that fails gives its images back; a start that happened keeps them", async () => {
    const quotas = quotaService({ prisma: stack.db.prisma, config: stack.config });
    const limits = { userPerDay: 5, tenantPerDay: 50, maxConcurrentPerUser: 2 };
    const kept = await quotas.reserve({ tenantId: stack.tenant, userKey: "user:fails", limits });
    const afterStart = await startSpending(kept, async (started) => {
      started();
      throw new Error("the record write failed after the workflow started");
    }).catch((err) => err);
    expect(afterStart.message).toContain("record write failed");
    const lost = await quotas.reserve({ tenantId: stack.tenant, userKey: "user:fails", limits });
    await startSpending(lost, async () => {
      throw new Error("Temporal refused the start");
    }).catch(() => undefined);
    expect(await quotas.usage(stack.tenant, "user:fails")).toMatchObject({ user: 1, tenant: 1 });

    // Through the API: with Temporal unreachable the reply fails, nothing is spent, and the records
    // written while the start was in flight are rolled back with it.
    const before = await counter(stack.tenant, "user:u-down");
    await stack.running.temporal.connection.close();
    const down = await reply("u-down");
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe("orchestrator_unavailable");
    expect(await counter(stack.tenant, "user:u-down")).toBe(before);
    expect(await stack.db.prisma.generation.count({ where: { userId: "u-down" } })).toBe(0);
    expect(await stack.db.prisma.message.count({ where: { userId: "u-down" } })).toBe(0);
  });
});
