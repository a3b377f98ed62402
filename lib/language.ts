/**
 * The languages darkroom writes its in-character messages in, and a cheap guess of which one a
 * conversation is in. The guess only needs to beat "always English", but it must never be worse
 * than the fallback: a chat that gets a message in a language nobody spoke is a visible bug, while
 * falling back to the persona's language is merely unsurprising. So it decides only on clear
 * evidence and otherwise returns the fallback it was given.
 *
 * How it decides:
 *  1. Scripts. Hangul is only Korean; Hiragana/Katakana only Japanese; Han without kana is Chinese
 *     (or Japanese when that is the fallback and nothing is Chinese-only, since a kanji-only line
 *     can be either); Cyrillic is Russian or Ukrainian, told apart by the letters only one has.
 *  2. In Latin script, letters that give a language away (ß, ñ, ã, ł, ğ, œ…) and short frequent
 *     words. A word used by several languages is listed under each, so it never tips the balance.
 *  3. The leader wins only with enough points and strictly more than every other language,
 *     the fallback included; anything else is the fallback.
 */

export type Language = "es" | "en" | "ru" | "uk" | "fr" | "de" | "pt" | "it" | "pl" | "tr" | "ja" | "zh" | "ko";

export const LANGUAGES: readonly Language[] = ["es", "en", "ru", "uk", "fr", "de", "pt", "it", "pl", "tr", "ja", "zh", "ko"];

type LatinLanguage = "es" | "en" | "fr" | "de" | "pt" | "it" | "pl" | "tr";
const LATIN_LANGUAGES: readonly LatinLanguage[] = ["es", "en", "fr", "de", "pt", "it", "pl", "tr"];

/** Letters Ukrainian has and Russian does not. */
const UKRAINIAN_LETTERS = /[іїєґ]/giu;
/** Letters Russian has and Ukrainian does not. */
const RUSSIAN_LETTERS = /[ыэъё]/giu;
const CYRILLIC = /\p{Script=Cyrillic}/gu;
const LATIN = /\p{Script=Latin}/gu;
const HANGUL = /\p{Script=Hangul}/gu;
/** Hiragana and Katakana, plus the prolonged-sound mark that katakana words use ("ビーチ"). */
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}ー]/gu;
const HAN = /\p{Script=Han}/gu;
/** Simplified characters and particles Chinese uses and Japanese does not: they settle a kana-less Han line. */
const CHINESE_ONLY = /[这们吗呢吧么没给发说个还啦哦嗯哇很你她它哪谁]/gu;

/**
 * Letters worth points for a language: 3 for marks (nearly) only it uses among ours, 1 for marks
 * it shares with others, which then add to each alike ("ó" is Spanish, Portuguese and Polish). "é"
 * is in too many of them to say anything and scores nowhere; "à" counts for Italian only, so a
 * lone "Voilà", as English and German writers use it too, stays a tie.
 */
const LETTERS: Record<LatinLanguage, ReadonlyArray<readonly [RegExp, number]>> = {
  es: [
    [/[¡¿ñ]/giu, 3],
    [/[áíóú]/giu, 1],
  ],
  en: [],
  fr: [
    [/[œæ]/giu, 3],
    [/[èêëîïûùâç]/giu, 1],
  ],
  de: [
    [/ß/giu, 3],
    [/[äöü]/giu, 1],
  ],
  pt: [
    [/[ãõ]/giu, 3],
    [/[çâêôáíóú]/giu, 1],
  ],
  it: [
    [/[ìò]/giu, 3],
    [/[èàù]/giu, 1],
  ],
  pl: [
    [/[ąćęłńśźż]/giu, 3],
    [/ó/giu, 1],
  ],
  tr: [
    [/[ğĞıİşŞ]/gu, 3],
    [/[çöü]/giu, 1],
  ],
};

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(/\s+/u).filter(Boolean));
}

/**
 * Frequent short words, one point each. Words that several of our languages use ("la", "que",
 * "non", "tu", "mi") appear in each of their lists so they add to all of them alike.
 */
const WORDS: Record<LatinLanguage, ReadonlySet<string>> = {
  es: words(`
    que el la los las del y es por para con una un mi tu te se lo como pero muy hola gracias esta este eso esto ya sí si
    bueno claro dale vamos aquí ahora quiero puedes mira ti está estoy bien también mientras cuando ahorita listo lista
    enseguida momento todo nada algo mucho poco dónde qué cómo hay soy eres tengo tienes mando envío sigamos
    voy vas va pude puedo viene camino perdona disculpa siento mande mandar quieres estás espera ratito rato momentito
    llegará después luego pues nos vemos pronto amor vamos ha
  `),
  en: words(`
    the and you your is are to of my it this that with for what have here just can please picture thanks hey hi yes sure
    will be was i i'm it's don't i'll you're can't that's let's here's on photo come do
    okay now soon right away moment look how out get got give let one sec second minute but not all at wait while send sending ready done sorry again later hope like
  `),
  fr: words(`
    je j'ai j'espère c'est qu'il qu'on n'est s'il d'accord aujourd'hui tu ça une avec pour merci le la les des est et
    il elle on nous vous mais très bien oui non pas moi toi te tout sur dans qui que suis voilà attends envoie bisous coucou
    bonjour salut du un ma mon ton ta ce cette au aux hier photo je t'envoie t'aime peu petit encore bientôt
    désolé désolée plaît voici arrive attendant prête prêt fais faire si moment va vais fait encore plus peux veux
    seconde suite vite bisou mes tes ses sont ai as chéri chérie
  `),
  de: words(`
    ich du und nicht das mit bitte danke ist es ein eine einen ja auch noch gleich schon mal dir dich mich mir wie hier
    jetzt kurz gerne gern sofort sind habe hab kann schicke schick dein deine für auf zu den dem der sie wir aber oder sehr
    gut schön warte klar um was will nie bild fertig leider tut mir sorry moment bisschen kommt bekommst nochmal etwas
    doch dann nur einen im am vom beim bei hast bist geht klappt okay
  `),
  pt: words(`
    você não obrigado obrigada uma com para que os as um meu minha seu sua está estou aqui agora já muito sim tudo bem vou
    te isso isto essa esse então também ótimo beijo beijos oi olá se do ao pra enquanto foi ficou desculpa desculpe
    logo daqui pouquinho deu certo e tu por como na momento eu deixa estiver errado tentar mais algo vamos pouco ainda aí
    né tá vocês fica chegou achou gente manda mandar mando quer quero posso vai sei depois amor pronto pronta quando
  `),
  it: words(`
    sono che per non una grazie ciao ecco il lo la gli le di del della un uno mi ti si ci è questo questa quello come ma anche
    molto bene sì più già adesso subito ora aspetta tuo tua mio mia vuoi voglio fatto bella bello amore sua essa esse
    qui e i te tu momento scusa scusami mentre spero piaccia pronta pronto arrivo sto sta stai stato tra intanto secondo
    pochissimo poco appena quando ho hai ha sei fammi dammi dispiace dopo ancora niente tutto cosa perché davvero
    mando vai
  `),
  pl: words(`
    jest nie się dziękuję proszę w z na że ale tak już teraz zaraz co jak mi ci cię ja ty mam masz bardzo dobrze tylko
    jeszcze dla od po jestem czekaj chwila chwilę chwilkę wyślę to i do zdjęcie przepraszam niestety gotowe go je jej
    mnie będzie robię zrobię daj dobra
  `),
  tr: words(`
    bir ve bu için teşekkürler teşekkür merhaba çok mi sen şu var yok evet hayır tamam şimdi hemen biraz fotoğraf sana bana
    seni beni gibi daha iyi güzel canım lütfen bekle gönderiyorum hazır işte özür dilerim üzgünüm sonra tekrar
  `),
};

/** Points the leader needs: one distinctive letter (3), or two words, or a word and a shared letter. */
const MIN_POINTS = 2;

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** Lower-cased words with apostrophes kept ("c'est", "don't"); Turkish "İ" lower-cases to a plain "i". */
function tokens(text: string): string[] {
  const lower = text.replace(/İ/gu, "i").toLowerCase().replace(/[’‘`]/gu, "'");
  return lower.match(/[\p{L}]+(?:'[\p{L}]+)*/gu) ?? [];
}

function latinScores(text: string): Record<LatinLanguage, number> {
  const scores = Object.fromEntries(LATIN_LANGUAGES.map((l) => [l, 0])) as Record<LatinLanguage, number>;
  for (const language of LATIN_LANGUAGES) {
    for (const [pattern, points] of LETTERS[language]) scores[language] += points * count(text, pattern);
  }
  for (const token of tokens(text)) {
    // A listed elided form ("c'est", "don't") counts once; otherwise its parts ("t'envoie" → "envoie") may.
    const listed = LATIN_LANGUAGES.filter((l) => WORDS[l].has(token));
    const parts = listed.length > 0 || !token.includes("'") ? [token] : token.split("'");
    for (const part of parts) {
      for (const language of LATIN_LANGUAGES) if (WORDS[language].has(part)) scores[language]++;
    }
  }
  return scores;
}

/**
 * The conversation's language, or `fallback` when the text does not say clearly. The fallback also
 * settles the two honest ties of script: Cyrillic without telling letters (Russian unless the
 * fallback is Ukrainian) and Han without kana (Chinese unless the fallback is Japanese).
 */
export function detectLanguage(text: string, fallback: Language = "en"): Language {
  const hangul = count(text, HANGUL);
  const kana = count(text, KANA);
  const han = count(text, HAN);
  const cyrillic = count(text, CYRILLIC);
  const latin = count(text, LATIN);
  // A CJK character carries about as much as a short word; weigh it so a Japanese photo description
  // inside a Japanese reply is not outvoted by the letters of "IMAGE" or a brand name.
  const cjk = 3 * (hangul + kana + han);
  if (cjk === 0 && cyrillic === 0 && latin === 0) return fallback;

  if (cjk > 0 && cjk >= cyrillic && cjk >= latin) {
    if (hangul > 0 && hangul >= kana) return "ko";
    if (kana > 0) return "ja";
    return fallback === "ja" && count(text, CHINESE_ONLY) === 0 ? "ja" : "zh";
  }

  if (cyrillic > latin) {
    const ukrainian = count(text, UKRAINIAN_LETTERS);
    const russian = count(text, RUSSIAN_LETTERS);
    if (ukrainian > russian) return "uk";
    if (russian > ukrainian) return "ru";
    // Letters both languages share say nothing: keep a Cyrillic fallback, otherwise Russian is likelier.
    return fallback === "uk" ? "uk" : "ru";
  }

  const scores = latinScores(text);
  let best: LatinLanguage | undefined;
  let bestScore = 0;
  let runnerUp = 0;
  for (const language of LATIN_LANGUAGES) {
    const score = scores[language];
    if (score > bestScore) {
      runnerUp = bestScore;
      best = language;
      bestScore = score;
    } else if (score > runnerUp) {
      runnerUp = score;
    }
  }
  if (best === undefined || bestScore < MIN_POINTS || bestScore === runnerUp) return fallback;
  // Only a clear lead overrides the fallback: a tie with it keeps it.
  if ((LATIN_LANGUAGES as readonly Language[]).includes(fallback) && scores[fallback as LatinLanguage] >= bestScore) return fallback;
  return best;
}

/**
 * The language to write in: what the conversation declares, else what its text shows, else the
 * persona's own language, else English. Never a language that none of these named.
 */
export function chooseLanguage(sources: { declared?: string | null; text: string; persona?: string | null }): Language {
  return normalizeLanguage(sources.declared) ?? detectLanguage(sources.text, normalizeLanguage(sources.persona) ?? "en");
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
  fr: "fr",
  fra: "fr",
  fre: "fr",
  french: "fr",
  français: "fr",
  francais: "fr",
  de: "de",
  deu: "de",
  ger: "de",
  german: "de",
  deutsch: "de",
  pt: "pt",
  por: "pt",
  portuguese: "pt",
  português: "pt",
  portugues: "pt",
  brazilian: "pt",
  it: "it",
  ita: "it",
  italian: "it",
  italiano: "it",
  pl: "pl",
  pol: "pl",
  polish: "pl",
  polski: "pl",
  tr: "tr",
  tur: "tr",
  turkish: "tr",
  türkçe: "tr",
  turkce: "tr",
  ja: "ja",
  jpn: "ja",
  // Not a language code (it is Japan's country code), but a common slip for Japanese.
  jp: "ja",
  japanese: "ja",
  日本語: "ja",
  にほんご: "ja",
  zh: "zh",
  zho: "zh",
  chi: "zh",
  cmn: "zh",
  chinese: "zh",
  mandarin: "zh",
  中文: "zh",
  汉语: "zh",
  漢語: "zh",
  普通话: "zh",
  ko: "ko",
  kor: "ko",
  korean: "ko",
  한국어: "ko",
  한국말: "ko",
};

/**
 * Accepts BCP 47 tags ("es-AR", "en_US", "zh-Hans", "pt_BR"), the common "ua" for Ukrainian and
 * "jp" for Japanese, and language names in English or in the language itself ("français",
 * "Deutsch", "日本語", "Brazilian Portuguese").
 */
export function normalizeLanguage(tag?: string | null): Language | undefined {
  if (!tag) return undefined;
  const lower = tag.trim().toLowerCase();
  const primary = lower.split(/[-_]/u)[0] ?? "";
  // Names with a qualifier, e.g. "Brazilian Portuguese", "Français (France)": the first word we know.
  const candidates = [lower, primary, ...lower.split(/[\s(),/]+/u)];
  const known = candidates.find((c) => Object.hasOwn(LANGUAGE_ALIASES, c));
  return known === undefined ? undefined : LANGUAGE_ALIASES[known];
}
