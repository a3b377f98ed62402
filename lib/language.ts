/**
 * The languages darkroom writes its in-character messages in, and a cheap guess of which one a
 * conversation is in. The guess only needs to beat "always English": it looks at scripts first
 * (Cyrillic vs Latin), then at letters and short words that give a language away.
 */

export type Language = "es" | "en" | "ru" | "uk";

export const LANGUAGES: readonly Language[] = ["es", "en", "ru", "uk"];

/** Letters Ukrainian has and Russian does not. */
const UKRAINIAN_LETTERS = /[іїєґ]/giu;
/** Letters Russian has and Ukrainian does not. */
const RUSSIAN_LETTERS = /[ыэъё]/giu;
const CYRILLIC = /\p{Script=Cyrillic}/gu;
const LATIN = /\p{Script=Latin}/gu;
/** Marks that are (nearly) exclusive to Spanish among the languages we meet. */
const SPANISH_MARKS = /[¡¿ñ]/giu;
const SPANISH_ACCENTS = /[áéíóúü]/giu;

/** Frequent short words; ones shared by both languages (e.g. "me", "a", "no") are left out. */
const SPANISH_WORDS = new Set(
  "que el la los las de del y es por para con una un mi tu te se lo como pero muy hola gracias esta este eso ya foto sí si bueno claro dale vamos aquí ahora quiero puedes".split(" "),
);
const ENGLISH_WORDS = new Set(
  "the and you your is are to of my it this that with for what have here just can please photo picture thanks hey hi yes sure will be was i'm it's don't".split(" "),
);

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

export function detectLanguage(text: string, fallback: Language = "en"): Language {
  const cyrillic = count(text, CYRILLIC);
  const latin = count(text, LATIN);
  if (cyrillic === 0 && latin === 0) return fallback;

  if (cyrillic > latin) {
    const ukrainian = count(text, UKRAINIAN_LETTERS);
    const russian = count(text, RUSSIAN_LETTERS);
    if (ukrainian > russian) return "uk";
    if (russian > ukrainian) return "ru";
    // Letters both languages share say nothing: keep a Cyrillic fallback, otherwise Russian is likelier.
    return fallback === "uk" ? "uk" : "ru";
  }

  const words = text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  let spanish = 3 * count(text, SPANISH_MARKS) + count(text, SPANISH_ACCENTS);
  let english = 0;
  for (const word of words) {
    if (SPANISH_WORDS.has(word)) spanish++;
    if (ENGLISH_WORDS.has(word)) english++;
  }
  if (spanish > english) return "es";
  if (english > spanish) return "en";
  return fallback;
}

const LANGUAGE_ALIASES: Record<string, Language> = {
  es: "es",
  spa: "es",
  spanish: "es",
  español: "es",
  espanol: "es",
  castellano: "es",
  en: "en",
  eng: "en",
  english: "en",
  ru: "ru",
  rus: "ru",
  russian: "ru",
  русский: "ru",
  uk: "uk",
  ua: "uk",
  ukr: "uk",
  ukrainian: "uk",
  українська: "uk",
};

/** Accepts BCP 47 tags ("es-AR", "en_US"), the common "ua" for Ukrainian, and a few language names. */
export function normalizeLanguage(tag?: string | null): Language | undefined {
  if (!tag) return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/u)[0] ?? "";
  return LANGUAGE_ALIASES[primary];
}
