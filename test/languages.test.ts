/**
 * A chat in any of darkroom's languages gets its waiting, completed and failed messages in that
 * language: detected from a real chat line, written in the right script, free of words from the
 * other languages, and never an unrelated language when the evidence is thin.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLlmActivities, inferTone, templateMessage } from "../activities/llm";
import { buildMessagePrompt } from "../activities/llm/prompt";
import { templateVariants, type MessageKind, type Tone } from "../activities/llm/templates";
import { parseImageTags } from "../lib/imageTags";
import { chooseLanguage, detectLanguage, LANGUAGES, type Language } from "../lib/language";
import { startLlmSimulator, type LlmSimulator } from "../simulators/llm";

const TONES: readonly Tone[] = ["cheerful", "serious", "shy", "neutral"];
const KINDS: readonly MessageKind[] = ["waiting", "completed", "failed", "regenerating", "quota"];

/** What an LLM in that language writes when it promises a photo. */
const CHAT_LINES: Record<Exclude<Language, "es" | "en" | "ru" | "uk">, string> = {
  fr: "Bien sûr, je t'envoie ça [IMAGE: selfie à la plage]",
  de: "Na klar, ich schicke dir gleich ein Foto! [IMAGE: Selfie am Strand bei Sonnenuntergang]",
  pt: "Claro, vou te mandar agora mesmo! [IMAGE: selfie na praia]",
  it: "Certo, ecco che ti mando una foto! [IMAGE: selfie in spiaggia al tramonto]",
  pl: "Jasne, zaraz wyślę ci zdjęcie! [IMAGE: selfie na plaży]",
  tr: "Tabii, sana hemen gönderiyorum! [IMAGE: plajda selfie]",
  ja: "もちろん、今送るね！ [IMAGE: ビーチで自撮り]",
  zh: "好的，我马上发给你！ [IMAGE: 海边自拍]",
  ko: "물론이지, 지금 보내줄게! [IMAGE: 해변에서 셀카]",
};

/** The text the companion photo service reads its language from: the reply and its photo descriptions. */
function replyText(line: string): string {
  const parsed = parseImageTags(line);
  return `${parsed.text} ${parsed.tags.map((tag) => tag.description).join(" ")}`;
}

const HAS_LATIN = /\p{Script=Latin}/u;
const HAS_CYRILLIC = /\p{Script=Cyrillic}/u;
const HAS_KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
const HAS_HAN = /\p{Script=Han}/u;
const HAS_HANGUL = /\p{Script=Hangul}/u;

/** Words and letters that would give away a message written in (or slipped into) another language. */
const FORBIDDEN: Record<keyof typeof CHAT_LINES, { words: string[]; letters?: RegExp }> = {
  fr: { words: ["foto", "the", "you", "gracias", "und", "ich", "você", "não", "grazie", "sono", "jest", "bir", "el", "los"], letters: /[ñ¿¡ßãõąęłğış]/iu },
  de: { words: ["photo", "the", "you", "je", "c'est", "gracias", "você", "não", "grazie", "che", "jest", "bir", "la", "el"], letters: /[ñ¿¡ãõąęłğışœç]/iu },
  pt: { words: ["photo", "the", "you", "je", "und", "ich", "gracias", "grazie", "che", "sono", "jest", "bir", "el", "los", "muy", "y"], letters: /[ñ¿¡ßąęłğış]/iu },
  it: { words: ["photo", "the", "you", "je", "und", "ich", "você", "não", "gracias", "jest", "bir", "el", "los", "muy", "y", "uma"], letters: /[ñ¿¡ßãõąęłğış]/iu },
  pl: { words: ["photo", "foto", "the", "you", "und", "ich", "você", "gracias", "grazie", "bir", "el", "la"], letters: /[ñ¿¡ßãõğış]/iu },
  tr: { words: ["photo", "foto", "the", "you", "je", "und", "ich", "você", "gracias", "grazie", "jest", "el", "la"], letters: /[ñ¿¡ßãõąęł]/iu },
  ja: { words: [] },
  zh: { words: [] },
  ko: { words: [] },
};

function wordsOf(text: string): string[] {
  return text.toLowerCase().replace(/’/gu, "'").match(/\p{L}+(?:'\p{L}+)*/gu) ?? [];
}

/** Why `text` is not a clean message in `language`, or undefined when it is. */
function wrongLanguage(language: keyof typeof CHAT_LINES, text: string): string | undefined {
  if (HAS_CYRILLIC.test(text)) return "Cyrillic letters";
  switch (language) {
    case "ja":
      if (HAS_LATIN.test(text) || HAS_HANGUL.test(text)) return "Latin or Hangul letters";
      return HAS_KANA.test(text) ? undefined : "no kana";
    case "zh":
      if (HAS_LATIN.test(text) || HAS_HANGUL.test(text) || HAS_KANA.test(text)) return "Latin, Hangul or kana";
      return HAS_HAN.test(text) ? undefined : "no Han characters";
    case "ko":
      if (HAS_LATIN.test(text) || HAS_KANA.test(text) || HAS_HAN.test(text)) return "Latin, kana or Han";
      return HAS_HANGUL.test(text) ? undefined : "no Hangul";
    default: {
      if (HAS_KANA.test(text) || HAS_HAN.test(text) || HAS_HANGUL.test(text)) return "CJK characters";
      const { words, letters } = FORBIDDEN[language];
      const found = wordsOf(text).filter((w) => words.includes(w));
      if (found.length > 0) return `foreign words: ${found.join(", ")}`;
      if (letters?.test(text)) return `foreign letters: ${text.match(letters)?.[0]}`;
      // The detector must recognise the message even when the chat is assumed to be English.
      const detected = detectLanguage(text, "en");
      return detected === language ? undefined : `reads as ${detected}`;
    }
  }
}

describe("a chat in each new language", () => {
  for (const [language, line] of Object.entries(CHAT_LINES) as Array<[keyof typeof CHAT_LINES, string]>) {
    test(`${language}: "${line}" is detected, and every message it gets is in ${language}`, () => {
      // As a new user would send it: no declared language, no persona file.
      const chosen = chooseLanguage({ text: replyText(line) });
      expect(chosen).toBe(language);
      // Whatever the fallback, a clear line is not overruled by it.
      for (const fallback of LANGUAGES) expect(detectLanguage(replyText(line), fallback)).toBe(language);

      for (const tone of TONES) {
        for (const kind of KINDS) {
          const variants = templateVariants(kind, chosen, tone);
          expect(variants.length).toBeGreaterThanOrEqual(3);
          expect(new Set(variants).size).toBe(variants.length);
          for (const variant of variants) expect({ kind, tone, variant, problem: wrongLanguage(language, variant) }).toEqual({ kind, tone, variant, problem: undefined });
        }
      }
    });
  }

  test("the tones sound different: cheerful has emoji, serious has none, shy hesitates", () => {
    const EMOJI = /\p{Extended_Pictographic}/u;
    for (const language of LANGUAGES) {
      for (const kind of KINDS) {
        for (const v of templateVariants(kind, language, "cheerful")) expect({ language, v, emoji: EMOJI.test(v) }).toEqual({ language, v, emoji: true });
        for (const v of templateVariants(kind, language, "serious")) expect({ language, v, emoji: EMOJI.test(v) }).toEqual({ language, v, emoji: false });
        // Shy messages trail off or hesitate somewhere in the set ("...", "…", "……").
        expect(templateVariants(kind, language, "shy").some((v) => /\.\.\.|…/u.test(v))).toBe(true);
      }
    }
  });

  test("no message reads as a third language, whatever the conversation's fallback", () => {
    // The check an LLM answer goes through: a template must never look foreign to it. A short
    // Ukrainian line without Ukrainian-only letters reads as Russian outside a Ukrainian chat, by design.
    for (const language of LANGUAGES) {
      for (const tone of TONES) {
        for (const kind of KINDS) {
          for (const variant of templateVariants(kind, language, tone)) {
            for (const fallback of LANGUAGES) {
              const read = detectLanguage(variant, fallback);
              const fine = read === language || read === fallback || (language === "uk" && read === "ru");
              expect({ variant, fallback, read, fine }).toEqual({ variant, fallback, read, fine: true });
            }
          }
        }
      }
    }
  });

  test("the persona's tone is read from personalities written in the new languages", () => {
    const cases: Array<[string, Tone]> = [
      ["Joyeuse et pétillante", "cheerful"],
      ["Sérieuse et professionnelle", "serious"],
      ["Timide et réservée", "shy"],
      ["Aime les séries et les chats", "neutral"],
      ["Fröhlich und verspielt", "cheerful"],
      ["Ernst und sachlich", "serious"],
      ["Schüchtern, etwas zurückhaltend", "shy"],
      ["Loves strength training", "neutral"],
      ["Alegre e animada", "cheerful"],
      ["Tímida e calada", "shy"],
      ["Allegra e solare", "cheerful"],
      ["Seria e professionale", "serious"],
      ["Wesoła i pogodna", "cheerful"],
      ["Nieśmiała i cicha", "shy"],
      ["Ciddi ve profesyonel", "serious"],
      ["Utangaç ve sessiz", "shy"],
      ["明るくて元気な女の子", "cheerful"],
      ["恥ずかしがり屋で内気", "shy"],
      ["严肃认真", "serious"],
      ["开朗活泼", "cheerful"],
      ["수줍음이 많고 내성적", "shy"],
      ["밝고 명랑한 성격", "cheerful"],
    ];
    for (const [personality, tone] of cases) expect({ personality, tone: inferTone(personality) }).toEqual({ personality, tone });
  });

  test("the message a French persona gets is French for every kind, as composed without an LLM", async () => {
    const activities = createLlmActivities({ budgetMs: 1000 });
    for (const kind of KINDS) {
      const message = await activities.composeMessage({
        kind,
        persona: { name: "Camille", personality: "Joyeuse et pétillante" },
        description: "selfie à la plage",
        language: chooseLanguage({ text: replyText(CHAT_LINES.fr) }),
        variantSeed: `gen-fr:${kind}`,
      });
      expect(message.language).toBe("fr");
      expect(templateVariants(kind, "fr", "cheerful")).toContain(message.content);
    }
  });
});

describe("the language the chat is answered in", () => {
  test("the conversation's declared language comes first, in any common spelling", () => {
    const spanish = "Claro, te mando una foto de la playa";
    expect(chooseLanguage({ declared: "fr-FR", text: spanish, persona: "ru" })).toBe("fr");
    expect(chooseLanguage({ declared: "pt_BR", text: spanish })).toBe("pt");
    expect(chooseLanguage({ declared: "zh-Hans", text: spanish })).toBe("zh");
    expect(chooseLanguage({ declared: "Deutsch", text: spanish })).toBe("de");
    expect(chooseLanguage({ declared: "日本語", text: spanish })).toBe("ja");
  });

  test("an unknown declared language does not block detection", () => {
    expect(chooseLanguage({ declared: "klingon", text: replyText(CHAT_LINES.de) })).toBe("de");
  });

  test("then what the chat is written in, over the persona's own language", () => {
    expect(chooseLanguage({ text: replyText(CHAT_LINES.fr), persona: "ru" })).toBe("fr");
    expect(chooseLanguage({ text: replyText(CHAT_LINES.ja), persona: "en" })).toBe("ja");
    expect(chooseLanguage({ text: "Sure! [IMAGE: selfie at the beach]", persona: "es" })).toBe("en");
  });

  test("then the persona's language, then English: never a third language on weak evidence", () => {
    // Words several languages share, brand names and emoji say nothing about the conversation.
    for (const weak of ["la foto", "ok 😊", "selfie", "Voilà", "ciao", "Pizza Margherita", "OK!! 📸", ""]) {
      expect({ weak, chosen: chooseLanguage({ text: weak, persona: "de" }) }).toEqual({ weak, chosen: "de" });
      expect({ weak, chosen: chooseLanguage({ text: weak, persona: "ja" }) }).toEqual({ weak, chosen: "ja" });
      expect({ weak, chosen: chooseLanguage({ text: weak }) }).toEqual({ weak, chosen: "en" });
    }
    // The bug a new user met: French and German used to come out Spanish, Japanese English.
    expect(chooseLanguage({ text: replyText(CHAT_LINES.fr) })).not.toBe("es");
    expect(chooseLanguage({ text: replyText(CHAT_LINES.de) })).not.toBe("es");
    expect(chooseLanguage({ text: replyText(CHAT_LINES.ja) })).not.toBe("en");
  });

  test("scripts settle their honest ties with the fallback", () => {
    // A kanji-only line is Japanese in a Japanese chat, Chinese elsewhere; Chinese-only characters decide it.
    expect(chooseLanguage({ text: "写真撮影", persona: "ja" })).toBe("ja");
    expect(chooseLanguage({ text: "写真撮影" })).toBe("zh");
    expect(chooseLanguage({ text: "这是你的照片", persona: "ja" })).toBe("zh");
    expect(chooseLanguage({ text: "Фото готове!", persona: "uk" })).toBe("uk");
    expect(chooseLanguage({ text: "Фото готово!", persona: "fr" })).toBe("ru");
    // Hangul and kana belong to one language each.
    expect(chooseLanguage({ text: "네", persona: "ja" })).toBe("ko");
    expect(chooseLanguage({ text: "はい", persona: "ko" })).toBe("ja");
  });

  test("a Japanese description inside an English-looking tag name still reads as Japanese", () => {
    expect(detectLanguage(replyText("はい！[IMAGE: 海辺の自撮り、夕焼け]"))).toBe("ja");
  });

  test("letters alone decide when they belong to one language", () => {
    expect(detectLanguage("Straße", "en")).toBe("de");
    expect(detectLanguage("Dziękuję!", "en")).toBe("pl");
    expect(detectLanguage("Teşekkürler", "en")).toBe("tr");
    expect(detectLanguage("Não sei", "en")).toBe("pt");
    expect(detectLanguage("¿Sí?", "en")).toBe("es");
    expect(detectLanguage("Così così", "en")).toBe("it");
    expect(detectLanguage("Mon cœur", "en")).toBe("fr");
  });

  test("a line that could be two languages keeps the conversation's one", () => {
    // "Te mando la foto" is both Spanish and Italian.
    expect(detectLanguage("Te mando la foto", "it")).toBe("it");
    expect(detectLanguage("Te mando la foto", "es")).toBe("es");
    expect(detectLanguage("Te mando la foto", "en")).toBe("en");
  });
});

describe("the LLM is asked for the chosen language", () => {
  test("every language is named in the prompt", () => {
    const names: Record<Language, string> = {
      es: "Spanish",
      en: "English",
      ru: "Russian",
      uk: "Ukrainian",
      fr: "French",
      de: "German",
      pt: "Portuguese",
      it: "Italian",
      pl: "Polish",
      tr: "Turkish",
      ja: "Japanese",
      zh: "Chinese",
      ko: "Korean",
    };
    for (const language of LANGUAGES) {
      const [system] = buildMessagePrompt({ kind: "waiting", persona: { name: "Camille", personality: "" }, description: "selfie", language });
      expect(system!.content).toContain(`Write only in ${names[language]}`);
    }
  });

  let simulator: LlmSimulator;
  beforeAll(async () => {
    simulator = await startLlmSimulator();
  });
  afterAll(() => simulator.stop());

  const camille = (language: Language) => ({
    kind: "waiting" as const,
    persona: { name: "Camille", personality: "joyeuse" },
    description: "selfie à la plage",
    language,
    variantSeed: "gen-llm",
  });

  test("an answer in the chat's language is used; one in another language is replaced by the template", async () => {
    const llm = createLlmActivities({ llm: { baseUrl: simulator.baseUrl, apiKey: "sim-llm-key", model: "sim-model" }, budgetMs: 2000 });
    simulator.setBehaviour({ answer: "Attends une seconde, je prends la photo pour toi 😘", delayMs: 0, failStatus: undefined, finishReason: "stop" });
    expect(await llm.composeMessage(camille("fr"))).toEqual({ content: "Attends une seconde, je prends la photo pour toi 😘", source: "llm", language: "fr" });
    simulator.setBehaviour({ answer: "¡Dame un segundo que tomo la foto para ti!" });
    expect(await llm.composeMessage(camille("fr"))).toEqual({ content: templateMessage(camille("fr")), source: "template", language: "fr" });
    simulator.setBehaviour({ answer: "ちょっと待ってね、すぐ撮るよ！" });
    expect((await llm.composeMessage(camille("ja"))).source).toBe("llm");
    expect((await llm.composeMessage(camille("ko"))).source).toBe("template");
  });
});
