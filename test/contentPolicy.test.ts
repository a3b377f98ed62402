/**
 * The content policy through the real stack: a blocklisted or moderation-flagged photo request is
 * answered with the persona's refusal in the chat's language, recorded as `refused` with the reason
 * for operators, counted in /metrics, and never reaches a ComfyUI instance. A down or slow
 * moderation endpoint lets photos through or refuses them, as MODERATION_FAIL says.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { refusalMessage, refusalVariants } from "../activities/llm/refusals";
import { matchBlocklist, parseBlocklist } from "../domain/contentPolicy";
import { loadConfig } from "../lib/config";
import { detectLanguage, LANGUAGES } from "../lib/language";
import { updateTenantBlocklist } from "../service/contentPolicy";
import { startLlmSimulator, type LlmSimulator } from "../simulators/llm";
import { startTelegramSimulator, type TelegramSimulator } from "../simulators/telegram";
import { eventually, startStack, type Stack } from "./support/stack";

setDefaultTimeout(180_000);

const CHEERFUL = { name: "Sofia", personality: "Alegre y divertida" };

/** Every graph the stack's ComfyUI instances accepted, as text. */
const receivedGraphs = (stack: Stack) => stack.sim.instances.flatMap((i) => i.submittedPrompts.map((p) => JSON.stringify(p.prompt)));

async function settled(stack: Stack, id: string) {
  return eventually(async () => {
    const res = await stack.request("GET", `/v1/generations/${id}`);
    return ["completed", "failed", "cancelled", "refused"].includes(res.body?.status) ? res.body : undefined;
  }, `generation ${id} to finish`);
}

function moderationEnv(llm: LlmSimulator, fail: "open" | "closed") {
  return {
    SAFETY_BLOCKLIST: "guns, /\\bgore\\b/i",
    MODERATION_BASE_URL: llm.baseUrl,
    MODERATION_API_KEY: llm.apiKey!,
    MODERATION_TIMEOUT_MS: "300",
    MODERATION_FAIL: fail,
  };
}

describe("blocklist entries", () => {
  test("words match whole words in any case, regexes as written, unspaced scripts anywhere", () => {
    const rules = parseBlocklist(["gun", "/\\bkill(s|ing)?\\b/i", "武器"]);
    expect(matchBlocklist(rules, "a GUN on the table")?.reason).toBe('blocklist entry "gun" matched');
    expect(matchBlocklist(rules, "a burgundy dress")).toBeUndefined();
    expect(matchBlocklist(rules, "he kills time")?.by).toBe("blocklist");
    expect(matchBlocklist(rules, "持っている武器の写真")?.reason).toContain("武器");
    expect(() => parseBlocklist(["/(unclosed/"])).toThrow("not a valid regular expression");
    expect(loadConfig({ SAFETY_BLOCKLIST: '["a, b", "/x{1,2}/"]' }).safety.blocklist).toEqual(["a, b", "/x{1,2}/"]);
    expect(() => loadConfig({ MODERATION_BASE_URL: "http://x/v1", MODERATION_FAIL: "maybe" })).toThrow("MODERATION_FAIL");
  });
});

describe("the refusal templates", () => {
  test("every language and tone has one that reads as its language and sounds like the tone", () => {
    for (const language of LANGUAGES) {
      for (const tone of ["cheerful", "serious", "shy", "neutral"] as const) {
        for (const variant of refusalVariants(language, tone)) {
          for (const fallback of LANGUAGES) {
            const read = detectLanguage(variant, fallback);
            const fine = read === language || read === fallback || (language === "uk" && read === "ru");
            expect({ variant, fallback, read, fine }).toEqual({ variant, fallback, read, fine: true });
          }
          if (tone === "cheerful") expect(/\p{Extended_Pictographic}/u.test(variant)).toBe(true);
          if (tone === "serious") expect(/\p{Extended_Pictographic}/u.test(variant)).toBe(false);
          if (tone === "shy") expect(/\.\.\.|…/u.test(variant)).toBe(true);
        }
      }
    }
  });
});

describe("a refused photo request (moderation fails open)", () => {
  let stack: Stack;
  let llm: LlmSimulator;
  let telegram: TelegramSimulator;
  beforeAll(async () => {
    llm = await startLlmSimulator({ moderationFlagWords: ["couteau"] });
    telegram = await startTelegramSimulator({ token: "42:policy" });
    stack = await startStack({
      instances: 2,
      env: { ...moderationEnv(llm, "open"), DIALOG_IMAGE_EVERY: "1", TELEGRAM_API_URL: telegram.url, TELEGRAM_BOT_TOKEN: "42:policy" },
    });
    // The tenant's own entry, on top of SAFETY_BLOCKLIST.
    expect(await updateTenantBlocklist(stack.db.prisma, stack.tenant, { add: ["cuchillo"] })).toEqual(["cuchillo"]);
    await expect(updateTenantBlocklist(stack.db.prisma, stack.tenant, { add: ["/[bad/"] })).rejects.toThrow("not a valid regular expression");
  });
  afterAll(async () => {
    await stack?.stop();
    await llm?.stop();
    await telegram?.stop();
  });

  test("blocklisted: the persona refuses in the chat's language, nothing reaches a GPU, the record says why", async () => {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", {
      userId: "u1",
      text: "Sure thing! [IMAGE: a selfie holding guns at the beach]",
      persona: { name: "Sofia", personality: "cheerful and fun" },
    });
    expect(reply.status).toBe(200);
    const [gen] = reply.body.generations;
    expect(gen.status).toBe("refused");
    const refusal = reply.body.messages[1];
    expect(refusal.kind).toBe("refused");
    expect(refusal.content).toBe(refusalMessage("en", "cheerful and fun"));
    expect(refusalVariants("en", "cheerful")).toContain(refusal.content);
    // The reason stays with the operator: the user's message does not name the word.
    expect(refusal.content).not.toContain("gun");

    const record = await stack.request("GET", `/v1/generations/${gen.id}`);
    expect(record.body).toMatchObject({ status: "refused", completedMessageId: refusal.id, images: [] });
    expect(record.body.errorMessage).toBe('blocklist entry "guns" matched');
    expect(record.body.waitingMessageId).toBeUndefined();
    // Final: neither cancel nor retry applies.
    expect((await stack.request("POST", `/v1/generations/${gen.id}/cancel`)).status).toBe(409);
    expect((await stack.request("POST", `/v1/generations/${gen.id}/retry`)).status).toBe(409);
    // Its event stream ends like any finished generation's, with the refusal and no reason.
    const events = await (await fetch(`${stack.api}/v1/generations/${gen.id}/events`, { headers: { authorization: `Bearer ${stack.key}` } })).text();
    expect(events).toContain("event: image:failed");
    expect(events).toContain('"refused":true');
    expect(events).not.toContain("guns");
    // Not moderated either: the cheap check decided.
    expect(llm.moderationInputs).not.toContain("a selfie holding guns at the beach");

    // The tenant's own entry, in Spanish: the refusal is Spanish.
    const spanish = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: "¡Dale! [IMAGE: foto mía con un cuchillo en la cocina]", persona: CHEERFUL });
    expect(spanish.body.generations[0].status).toBe("refused");
    expect(spanish.body.messages[1].content).toBe(refusalMessage("es", CHEERFUL.personality));
    expect(spanish.body.messages[1].content).not.toBe(refusal.content);
    expect((await stack.request("GET", `/v1/generations/${spanish.body.generations[0].id}`)).body.errorMessage).toBe('blocklist entry "cuchillo" matched');

    expect(receivedGraphs(stack)).toEqual([]);
  });

  test("moderation-flagged: refused in French with the flagged category kept; the clean photo of the same reply is made", async () => {
    const reply = await stack.request("POST", "/v1/agents/amelie/replies", {
      userId: "u2",
      text: "Avec plaisir ! [IMAGE: une photo de moi avec un couteau] [IMAGE: une photo de moi au café à Paris]",
      persona: { name: "Amélie", personality: "Joyeuse et pétillante" },
    });
    expect(reply.status).toBe(200);
    const [flagged, clean] = reply.body.generations;
    expect(flagged.status).toBe("refused");
    expect(clean.status).toBe("pending");
    expect(reply.body.messages.map((m: { kind: string }) => m.kind)).toEqual(["text", "refused", "waiting"]);
    expect(reply.body.messages[1].content).toBe(refusalMessage("fr", "Joyeuse et pétillante"));
    expect(llm.moderationInputs).toContain("une photo de moi avec un couteau");

    const record = await stack.request("GET", `/v1/generations/${flagged.id}`);
    expect(record.body.status).toBe("refused");
    expect(record.body.errorMessage).toBe("moderation flagged the prompt (violence 0.97)");

    expect((await settled(stack, clean.id)).status).toBe("completed");
    const graphs = receivedGraphs(stack);
    expect(graphs).toHaveLength(1);
    expect(graphs[0]).toContain("café");
    expect(graphs.some((g) => g.includes("couteau"))).toBe(false);
  });

  test("a chat image whose prompt is blocklisted: the Telegram chat gets the persona's refusal, no photo, no GPU", async () => {
    const before = receivedGraphs(stack).length;
    const res = await stack.request("POST", "/v1/dialogs/policy-1/messages", {
      role: "user",
      text: "show me your guns collection",
      persona: "STACY",
      delivery: { telegram: { chatId: "5001" } },
    });
    expect(res.body.imageTriggered).toBe(true);
    const result = await stack.running.temporal.workflow.getHandle(`darkroom/chat_image/${res.body.generationId}`).result();
    expect(result).toMatchObject({ status: "refused", imageIds: [], deliveries: [{ channel: "telegram", status: "delivered" }] });
    const record = (await stack.request("GET", `/v1/generations/${res.body.generationId}`)).body;
    expect(record).toMatchObject({ status: "refused", errorMessage: 'blocklist entry "guns" matched' });
    expect(telegram.messages.filter((m) => m.chatId === "5001").map((m) => m.text)).toEqual([refusalMessage("en", "sporty and energetic, runs every morning, a little sarcastic")]);
    expect(telegram.photos.filter((p) => p.chatId === "5001")).toEqual([]);
    expect(receivedGraphs(stack).length).toBe(before);
  });

  test("operators change a tenant's list with ./darkroom tenants blocklist; a bad regex changes nothing", () => {
    const run = (...args: string[]) => {
      const r = Bun.spawnSync([process.execPath, "cli/darkroom.ts", "tenants", "blocklist", "--tenant", stack.tenant, ...args], {
        cwd: `${import.meta.dir}/..`,
        env: { ...process.env, ...stack.env },
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
    };
    const added = run("--add", "/\\bgrenades?\\b/i", "--add", "bazooka");
    expect(added).toEqual({ code: 0, out: "cuchillo\n/\\bgrenades?\\b/i\nbazooka\n" });
    const bad = run("--add", "/(oops/");
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("not a valid regular expression");
    expect(run("--remove", "bazooka")).toEqual({ code: 0, out: "cuchillo\n/\\bgrenades?\\b/i\n" });
  });

  test("/metrics counts refusals by kind and by what refused them", async () => {
    const res = await fetch(`${stack.api}/metrics`);
    const text = await res.text();
    expect(text).toContain('darkroom_generations_refused{kind="companion_photo",by="blocklist"} 2');
    expect(text).toContain('darkroom_generations_refused{kind="companion_photo",by="moderation"} 1');
    expect(text).toContain('darkroom_generations{kind="companion_photo",status="refused"} 3');
    expect(text).toContain('darkroom_generations_refused{kind="chat_image",by="blocklist"} 1');
  });

  test("fail open: with the endpoint down or slower than MODERATION_TIMEOUT_MS, photos are made", async () => {
    const before = receivedGraphs(stack).length;
    llm.setBehaviour({ moderationFailStatus: 503 });
    const down = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u3", text: "¡Dale! [IMAGE: selfie en el parque]", persona: CHEERFUL });
    llm.setBehaviour({ moderationFailStatus: undefined, moderationDelayMs: 5_000 });
    const slow = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u3", text: "¡Dale! [IMAGE: selfie en la montaña]", persona: CHEERFUL });
    llm.setBehaviour({ moderationDelayMs: 0 });
    for (const reply of [down, slow]) {
      expect(reply.body.generations[0].status).toBe("pending");
      expect(reply.body.messages[1].kind).toBe("waiting");
      expect((await settled(stack, reply.body.generations[0].id)).status).toBe("completed");
    }
    expect(receivedGraphs(stack).length).toBe(before + 2);
  });
});

describe("moderation fails closed", () => {
  let stack: Stack;
  let llm: LlmSimulator;
  beforeAll(async () => {
    llm = await startLlmSimulator();
    stack = await startStack({ instances: 1, env: moderationEnv(llm, "closed") });
  });
  afterAll(async () => {
    await stack?.stop();
    await llm?.stop();
  });

  test("a down or slow endpoint refuses the photo, saying so to the operator only", async () => {
    llm.setBehaviour({ moderationFailStatus: 503 });
    const down = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: "¡Dale! [IMAGE: selfie en el parque]", persona: CHEERFUL });
    llm.setBehaviour({ moderationFailStatus: undefined, moderationDelayMs: 5_000 });
    const slow = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: "¡Dale! [IMAGE: selfie en la montaña]", persona: CHEERFUL });
    llm.setBehaviour({ moderationDelayMs: 0 });

    expect(down.body.generations[0].status).toBe("refused");
    expect(down.body.messages[1].content).toBe(refusalMessage("es", CHEERFUL.personality));
    expect((await stack.request("GET", `/v1/generations/${down.body.generations[0].id}`)).body.errorMessage).toBe(
      "moderation unavailable (moderation answered HTTP 503); MODERATION_FAIL=closed",
    );
    expect(slow.body.generations[0].status).toBe("refused");
    expect((await stack.request("GET", `/v1/generations/${slow.body.generations[0].id}`)).body.errorMessage).toBe(
      "moderation unavailable (moderation took longer than 300 ms); MODERATION_FAIL=closed",
    );

    // With the endpoint back, the same request is made.
    const back = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: "¡Dale! [IMAGE: selfie en el parque]", persona: CHEERFUL });
    expect(back.body.generations[0].status).toBe("pending");
    expect((await settled(stack, back.body.generations[0].id)).status).toBe("completed");
    expect(receivedGraphs(stack)).toHaveLength(1);
  });
});
