import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createLlmActivities, inferTone, templateMessage, type ComposeMessageInput } from "../activities/llm";
import { templateVariants } from "../activities/llm/templates";
import { detectLanguage, LANGUAGES, normalizeLanguage } from "../lib/language";
import { startLlmSimulator, type LlmSimulator } from "../simulators/llm";

describe("language", () => {
  test("detects the conversation's language", () => {
    expect(detectLanguage("¡Dale! ¿Querés que te mande una foto?")).toBe("es");
    expect(detectLanguage("mira esto, es para ti")).toBe("es");
    expect(detectLanguage("Sure, here is the photo you asked for")).toBe("en");
    expect(detectLanguage("Привет! Как дела? Что делаешь?")).toBe("ru");
    expect(detectLanguage("Привіт! Як справи? Що робиш?")).toBe("uk");
    expect(detectLanguage("Ґанок і подвір'я")).toBe("uk");
  });

  test("falls back when the text gives nothing away", () => {
    expect(detectLanguage("😊📸", "es")).toBe("es");
    expect(detectLanguage("")).toBe("en");
    expect(detectLanguage("ok", "ru")).toBe("ru");
    // Shared Cyrillic letters keep a Ukrainian conversation Ukrainian.
    expect(detectLanguage("Фото готове!", "uk")).toBe("uk");
    expect(detectLanguage("Фото готово!", "en")).toBe("ru");
  });

  test("normalizes language tags", () => {
    expect(normalizeLanguage("es-AR")).toBe("es");
    expect(normalizeLanguage("en_US")).toBe("en");
    expect(normalizeLanguage("ua")).toBe("uk");
    expect(normalizeLanguage("uk-UA")).toBe("uk");
    expect(normalizeLanguage("RU")).toBe("ru");
    expect(normalizeLanguage("fr-FR")).toBe("fr");
    expect(normalizeLanguage("pt_BR")).toBe("pt");
    expect(normalizeLanguage("zh-Hans")).toBe("zh");
    expect(normalizeLanguage("ja-JP")).toBe("ja");
    expect(normalizeLanguage("français")).toBe("fr");
    expect(normalizeLanguage("Deutsch")).toBe("de");
    expect(normalizeLanguage("日本語")).toBe("ja");
    expect(normalizeLanguage("한국어")).toBe("ko");
    expect(normalizeLanguage("Brazilian Portuguese")).toBe("pt");
    expect(normalizeLanguage("Italiano")).toBe("it");
    expect(normalizeLanguage("polski")).toBe("pl");
    expect(normalizeLanguage("Türkçe")).toBe("tr");
    expect(normalizeLanguage("zh_TW")).toBe("zh");
    expect(normalizeLanguage("ko")).toBe("ko");
    // Unknown languages and words that only look like keys stay unknown.
    expect(normalizeLanguage("nl-NL")).toBeUndefined();
    expect(normalizeLanguage("klingon")).toBeUndefined();
    expect(normalizeLanguage("constructor")).toBeUndefined();
    expect(normalizeLanguage("")).toBeUndefined();
    expect(normalizeLanguage(null)).toBeUndefined();
  });
});

function input(overrides: Partial<ComposeMessageInput> = {}): ComposeMessageInput {
  return {
    kind: "waiting",
    persona: { name: "Luna", personality: "alegre y divertida" },
    description: "selfie mía en la playa al atardecer",
    language: "es",
    variantSeed: "job-1",
    ...overrides,
  };
}

describe("templates", () => {
  test("tone comes from the personality in any language", () => {
    expect(inferTone("Alegre, extrovertida y muy divertida")).toBe("cheerful");
    expect(inferTone("A cheerful, bubbly girl")).toBe("cheerful");
    expect(inferTone("Весёлая и общительная")).toBe("cheerful");
    expect(inferTone("Весела та енергійна")).toBe("cheerful");
    expect(inferTone("Es seria y formal")).toBe("serious");
    expect(inferTone("Серьёзная, строгая")).toBe("serious");
    expect(inferTone("Tímida y reservada")).toBe("shy");
    expect(inferTone("shy bookworm")).toBe("shy");
    expect(inferTone("Сором'язлива")).toBe("shy");
    expect(inferTone("Likes TV series and cats")).toBe("neutral");
  });

  test("messages follow the persona's tone", () => {
    const cheerful = templateMessage(input({ kind: "completed" }));
    expect(templateVariants("completed", "es", "cheerful")).toContain(cheerful);
    expect(templateVariants("waiting", "es", "cheerful")).toContain(
      "¡Dame un segundo que tomo la foto! Te la mando en un ratito, sigamos charlando 😊",
    );
    const serious = input({ persona: { name: "Ana", personality: "seria" } });
    expect(templateVariants("waiting", "es", "serious")).toContain(templateMessage(serious));
    expect(templateVariants("completed", "es", "serious")).toContain("La foto está lista.");
    const shy = input({ kind: "completed", persona: { name: "Mia", personality: "tímida" } });
    expect(templateVariants("completed", "es", "shy")).toContain(templateMessage(shy));
  });

  test("every language, tone and kind has several variants written in that language", () => {
    for (const language of LANGUAGES) {
      for (const tone of ["cheerful", "serious", "shy", "neutral"] as const) {
        for (const kind of ["waiting", "completed", "failed"] as const) {
          const variants = templateVariants(kind, language, tone);
          expect(variants.length).toBeGreaterThanOrEqual(2);
          // Checked against an unrelated fallback, so a variant must give itself away. Russian and
          // Ukrainian share most letters, and a short line in either keeps its Cyrillic fallback by design.
          const fallback = language === "en" ? "es" : language === "ru" || language === "uk" ? language : "en";
          for (const variant of variants) expect(detectLanguage(variant, fallback)).toBe(language);
        }
      }
    }
  });

  test("the same seed picks the same variant; different seeds reach different ones", () => {
    const first = templateMessage(input({ variantSeed: "wf-42" }));
    expect(templateMessage(input({ variantSeed: "wf-42" }))).toBe(first);
    const seen = new Set(Array.from({ length: 30 }, (_, i) => templateMessage(input({ variantSeed: `wf-${i}` }))));
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe("composeMessage", () => {
  let simulator: LlmSimulator;
  beforeAll(async () => {
    simulator = await startLlmSimulator();
  });
  afterAll(() => simulator.stop());
  beforeEach(() => {
    simulator.requests.length = 0;
    simulator.setBehaviour({ answer: "¡Ya voy con la foto! Dame un ratito 😘", delayMs: 0, failStatus: undefined, finishReason: "stop" });
  });

  const withLlm = (budgetMs = 2000, apiKey: string | undefined = "sim-llm-key") =>
    createLlmActivities({ llm: { baseUrl: simulator.baseUrl, apiKey, model: "sim-model" }, budgetMs });

  test("uses the LLM's answer, asked as the persona in the conversation's language", async () => {
    const message = await withLlm().composeMessage(input());
    expect(message).toEqual({ content: "¡Ya voy con la foto! Dame un ratito 😘", source: "llm", language: "es" });
    const request = simulator.requests[0]!;
    expect(request.authorization).toBe("Bearer sim-llm-key");
    const body = request.body as { model: string; max_tokens: number; messages: Array<{ role: string; content: string }> };
    expect(body.model).toBe("sim-model");
    expect(body.max_tokens).toBeGreaterThan(0);
    expect(body.messages[0]!.role).toBe("system");
    expect(body.messages[0]!.content).toContain("Luna");
    expect(body.messages[0]!.content).toContain("alegre y divertida");
    expect(body.messages[0]!.content).toContain("Spanish");
    expect(body.messages[1]!.content).toContain("selfie mía en la playa al atardecer");
  });

  test("strips an [IMAGE: ...] tag the LLM echoes", async () => {
    simulator.setBehaviour({ answer: "¡Aquí la tienes! [IMAGE: selfie en la playa]" });
    const message = await withLlm().composeMessage(input({ kind: "completed" }));
    expect(message).toEqual({ content: "¡Aquí la tienes!", source: "llm", language: "es" });
  });

  test("falls back to the template on a server error", async () => {
    simulator.setBehaviour({ failStatus: 500 });
    const message = await withLlm().composeMessage(input());
    expect(message).toEqual({ content: templateMessage(input()), source: "template", language: "es" });
    expect(simulator.requests).toHaveLength(1);
  });

  test("falls back to the template when the key is refused", async () => {
    const message = await withLlm(2000, "wrong-key").composeMessage(input({ kind: "failed" }));
    expect(message.source).toBe("template");
    expect(message.content).toBe(templateMessage(input({ kind: "failed" })));
    expect(simulator.requests[0]!.authorization).toBe("Bearer wrong-key");
  });

  test("falls back to the template when the answer is empty, cut off, or in another language", async () => {
    simulator.setBehaviour({ answer: "   " });
    expect((await withLlm().composeMessage(input())).source).toBe("template");
    simulator.setBehaviour({ answer: "¡Ya voy con la foto, dame", finishReason: "length" });
    expect((await withLlm().composeMessage(input())).source).toBe("template");
    simulator.setBehaviour({ answer: "Sure, give me a sec and I'll send you the photo!", finishReason: "stop" });
    expect((await withLlm().composeMessage(input())).source).toBe("template");
  });

  test("does not wait for an LLM slower than the budget", async () => {
    simulator.setBehaviour({ delayMs: 30_000 });
    const message = await withLlm(150).composeMessage(input());
    expect(message).toEqual({ content: templateMessage(input()), source: "template", language: "es" });
    // The request reached the LLM and had not been answered when the template came back.
    expect(simulator.requests).toHaveLength(1);
    expect(simulator.requests[0]!.answered).toBe(false);
  });

  test("uses the template when no LLM is configured", async () => {
    const message = await createLlmActivities({ budgetMs: 1000 }).composeMessage(input({ language: "uk", kind: "completed" }));
    expect(message.source).toBe("template");
    expect(message.language).toBe("uk");
    expect(templateVariants("completed", "uk", "cheerful")).toContain(message.content);
    expect(simulator.requests).toHaveLength(0);
  });
});
