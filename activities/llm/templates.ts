/**
 * Ready-written in-character messages: the answer when no LLM is configured, when it is slow or
 * broken, and the fast path when the chat must reply this instant. The persona's personality picks
 * the tone; a seed picks the variant, so a retried or replayed step says the same thing again.
 */
import type { Language } from "../../lib/language";

export type MessageKind = "waiting" | "completed" | "failed";
export type Tone = "cheerful" | "serious" | "shy" | "neutral";

type Variants = readonly [string, ...string[]];
type TemplateTable = Record<Language, Record<Tone, Record<MessageKind, Variants>>>;

const TEMPLATES: TemplateTable = {
  es: {
    cheerful: {
      waiting: [
        "¡Dame un segundo que tomo la foto! Te la mando en un ratito, sigamos charlando 😊",
        "¡Ay, me encanta la idea! Ya la estoy sacando, te la paso enseguida 📸",
        "¡Dale! Preparo la foto y te la mando en un ratito, mientras tanto cuéntame más 😄",
      ],
      completed: [
        "¡Aquí está la foto que te prometí! 📸",
        "¡Lista! Mira cómo quedó 😍",
        "¡Tachán! Ya tienes tu foto, ¿qué te parece? ✨",
      ],
      failed: [
        "Ups, la foto no salió bien... ¿probamos otra vez en un ratito? 🙈",
        "¡Ay, no! La foto se me arruinó 😅 Déjame intentarlo de nuevo más tarde.",
        "Uy, algo falló con la foto... ¡pero no me rindo, la intento otra vez pronto! 💪",
      ],
    },
    serious: {
      waiting: [
        "Voy a tomar la foto. Te llegará pronto.",
        "Estoy preparando la foto. Te la envío en cuanto esté lista.",
        "Entendido. La foto estará lista en breve.",
      ],
      completed: ["La foto está lista.", "Aquí tienes la foto.", "Listo. Te envío la foto."],
      failed: [
        "La foto no salió bien. Lo intentaré de nuevo más tarde.",
        "No pude terminar la foto. Disculpa.",
        "Hubo un problema con la foto. Lo siento.",
      ],
    },
    shy: {
      waiting: [
        "Mm, déjame tomar la foto... te la envío cuando esté lista",
        "Eh... está bien, voy a sacarla... dame un momentito",
        "Bueno... la preparo con calma y te la mando cuando termine",
      ],
      completed: [
        "Ya terminé con la foto... espero que te guste",
        "Aquí está... me da un poco de vergüenza, pero espero que te guste",
        "Eh... ya está la foto. Dime qué te parece...",
      ],
      failed: [
        "Perdón... la foto no salió bien...",
        "Mm... no me quedó bien la foto, lo siento mucho...",
        "Ay... la foto no funcionó. ¿Me dejas intentarlo otra vez más tarde?",
      ],
    },
    neutral: {
      waiting: [
        "Dame un momento, estoy preparando la foto. Te la mando en un rato.",
        "Ya estoy con la foto, te la envío en cuanto esté lista.",
        "Un momento, la foto viene en camino.",
      ],
      completed: ["Aquí está la foto que te prometí.", "Ya está lista la foto.", "Te mando la foto."],
      failed: [
        "Ups, la foto no salió bien. Lo siento.",
        "No pude terminar la foto, perdona.",
        "Algo falló con la foto. ¿Lo intentamos más tarde?",
      ],
    },
  },
  en: {
    cheerful: {
      waiting: [
        "Give me a sec, I'm taking the photo! I'll send it in a little while, let's keep chatting 😊",
        "Ooh, love that idea! Snapping it now, it'll be with you soon 📸",
        "On it! The photo is coming your way shortly, tell me more meanwhile 😄",
      ],
      completed: ["Here's the photo I promised you! 📸", "Ta-da! Look how it turned out 😍", "All done! What do you think? ✨"],
      failed: [
        "Oops, the photo didn't come out right... shall we try again in a bit? 🙈",
        "Oh no, I messed up the photo 😅 Let me try again later.",
        "Something went wrong with the photo... but I won't give up, I'll try again soon! 💪",
      ],
    },
    serious: {
      waiting: [
        "I'll take the photo. You'll have it shortly.",
        "Preparing the photo now. I'll send it when it's ready.",
        "Understood. The photo will be ready soon.",
      ],
      completed: ["The photo is ready.", "Here is the photo.", "Done. Sending you the photo."],
      failed: [
        "The photo didn't come out right. I'll try again later.",
        "I couldn't finish the photo. My apologies.",
        "There was a problem with the photo. I'm sorry.",
      ],
    },
    shy: {
      waiting: [
        "Mm, let me take the photo... I'll send it when it's ready",
        "Um... okay, I'll take it... just give me a moment",
        "Well... I'll get it ready carefully and send it when I'm done",
      ],
      completed: [
        "I finished the photo... I hope you like it",
        "Here it is... it's a little embarrassing, but I hope you like it",
        "Um... the photo's done. Tell me what you think...",
      ],
      failed: [
        "Sorry... the photo didn't turn out well...",
        "Mm... the photo didn't come out right, I'm really sorry...",
        "Oh... the photo didn't work. Can I try again later?",
      ],
    },
    neutral: {
      waiting: [
        "One moment, I'm working on the photo. I'll send it shortly.",
        "I'm on the photo now, I'll send it as soon as it's ready.",
        "Just a moment, the photo is on its way.",
      ],
      completed: ["Here's the photo I promised.", "The photo is ready.", "Sending you the photo."],
      failed: [
        "Oops, the photo didn't come out right. Sorry.",
        "I couldn't finish the photo, sorry about that.",
        "Something went wrong with the photo. Shall we try later?",
      ],
    },
  },
  ru: {
    cheerful: {
      waiting: [
        "Секундочку, уже делаю фото! Скоро пришлю, а пока давай болтать дальше 😊",
        "Ой, классная идея! Уже снимаю, скоро будет у тебя 📸",
        "Сейчас всё будет! Фото уже в пути, расскажи пока что-нибудь 😄",
      ],
      completed: ["Вот фото, которое я обещала! 📸", "Та-дам! Смотри, как получилось 😍", "Готово! Ну как тебе? ✨"],
      failed: [
        "Ой, фото не получилось... попробуем ещё раз чуть позже? 🙈",
        "Ой-ой, фото испортилось 😅 Дай мне попробовать ещё раз попозже.",
        "Что-то пошло не так с фото... но я не сдаюсь, скоро попробую снова! 💪",
      ],
    },
    serious: {
      waiting: ["Сделаю фото. Скоро пришлю.", "Готовлю фото. Отправлю, как только будет готово.", "Понятно. Фото скоро будет."],
      completed: ["Фото готово.", "Вот фото.", "Готово. Отправляю фото."],
      failed: ["Фото не получилось. Попробую позже.", "Не удалось сделать фото. Извини.", "С фото возникла проблема. Прошу прощения."],
    },
    shy: {
      waiting: [
        "Мм, дай я сделаю фото... пришлю, когда будет готово",
        "Эм... ладно, сейчас сниму... дай мне минутку",
        "Ну... я аккуратно всё подготовлю и пришлю, когда закончу",
      ],
      completed: [
        "Я закончила с фото... надеюсь, тебе понравится",
        "Вот оно... немного стесняюсь, но надеюсь, тебе понравится",
        "Эм... фото готово. Скажешь, как тебе?..",
      ],
      failed: [
        "Прости... фото не получилось...",
        "Мм... фото вышло неудачным, мне очень жаль...",
        "Ой... с фото не вышло. Можно я попробую ещё раз попозже?",
      ],
    },
    neutral: {
      waiting: ["Минутку, готовлю фото. Скоро пришлю.", "Уже занимаюсь фото, пришлю, как только будет готово.", "Секунду, фото уже в пути."],
      completed: ["Вот обещанное фото.", "Фото готово.", "Отправляю фото."],
      failed: ["Ой, фото не получилось. Извини.", "Не получилось закончить фото, прости.", "С фото что-то пошло не так. Попробуем позже?"],
    },
  },
  uk: {
    cheerful: {
      waiting: [
        "Секундочку, вже роблю фото! Скоро надішлю, а поки давай балакати далі 😊",
        "Ой, класна ідея! Вже знімаю, скоро буде в тебе 📸",
        "Зараз усе буде! Фото вже в дорозі, розкажи поки щось 😄",
      ],
      completed: ["Ось фото, яке я обіцяла! 📸", "Та-дам! Дивись, як вийшло 😍", "Готово! Ну як тобі? ✨"],
      failed: [
        "Ой, фото не вийшло... спробуємо ще раз трохи згодом? 🙈",
        "Ой-ой, фото зіпсувалося 😅 Дай мені спробувати ще раз пізніше.",
        "Щось пішло не так із фото... але я не здаюся, скоро спробую знову! 💪",
      ],
    },
    serious: {
      waiting: ["Зроблю фото. Незабаром надішлю.", "Готую фото. Надішлю, щойно буде готове.", "Зрозуміло. Фото скоро буде."],
      completed: ["Фото готове.", "Ось фото.", "Готово. Надсилаю фото."],
      failed: ["Фото не вийшло. Спробую пізніше.", "Не вдалося зробити фото. Вибач.", "З фото виникла проблема. Перепрошую."],
    },
    shy: {
      waiting: [
        "Мм, дай я зроблю фото... надішлю, коли буде готове",
        "Ем... гаразд, зараз зніму... дай мені хвилинку",
        "Ну... я обережно все підготую і надішлю, коли закінчу",
      ],
      completed: [
        "Я закінчила з фото... сподіваюся, тобі сподобається",
        "Ось воно... трохи соромно, але сподіваюся, тобі сподобається",
        "Ем... фото готове. Скажеш, як тобі?..",
      ],
      failed: [
        "Вибач... фото не вийшло...",
        "Мм... фото вийшло невдалим, мені дуже шкода...",
        "Ой... з фото не вийшло. Можна я спробую ще раз пізніше?",
      ],
    },
    neutral: {
      waiting: ["Хвилинку, готую фото. Скоро надішлю.", "Вже займаюся фото, надішлю, щойно буде готове.", "Секунду, фото вже в дорозі."],
      completed: ["Ось обіцяне фото.", "Фото готове.", "Надсилаю фото."],
      failed: ["Ой, фото не вийшло. Вибач.", "Не вдалося закінчити фото, пробач.", "З фото щось пішло не так. Спробуємо пізніше?"],
    },
  },
};

/**
 * Personality words per tone, as word beginnings so inflections match ("tímida", "tímido";
 * "весёлая", "весела"). Written without "ё": personalities are compared after ё → е.
 */
const TONE_WORDS: Record<Exclude<Tone, "neutral">, readonly string[]> = {
  cheerful: [
    // es
    "alegr", "divertid", "entusiast", "simpátic", "jovial", "extrovertid", "bromist", "optimist", "risueñ", "enérgic", "juguet",
    // en
    "cheerful", "happy", "bubbly", "playful", "upbeat", "outgoing", "energetic", "joyful", "fun", "funny", "optimistic", "extrovert", "sunny", "enthusiastic",
    // ru / uk
    "весел", "жизнерадост", "життєрадісн", "радост", "радісн", "энергичн", "енергійн", "оптимист", "оптиміст", "игрив", "грайлив", "позитивн",
  ],
  serious: [
    // es
    "seri", "formal", "profesional", "estrict", "sobri", "seca", "seco",
    // en
    "serious", "formal", "professional", "strict", "stern", "stoic", "businesslike", "no-nonsense",
    // ru / uk
    "серьезн", "серйозн", "строг", "суров", "деловит", "діловит", "формальн", "стрима", "сдержанн",
  ],
  shy: [
    // es
    "tímid", "timid", "vergonz", "introvertid", "reservad", "callad", "apenad",
    // en
    "shy", "timid", "bashful", "introvert", "reserved", "quiet", "awkward", "self-conscious",
    // ru / uk
    "застенчив", "стеснительн", "скромн", "робк", "сором'язлив", "сором’язлив", "соромлив", "несмел", "несміли", "тих", "інтроверт", "интроверт",
  ],
};

/** Words that must match whole, because as word beginnings they would catch unrelated words. */
const WHOLE_WORDS = new Set(["fun", "seca", "seco", "sunny", "quiet"]);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}

const TONE_PATTERNS = Object.entries(TONE_WORDS).map(([tone, words]) => {
  const alternatives = words.map((w) => {
    const escaped = escapeRegExp(w);
    // "seri" must stay a stem for "seria/serio", but not match "series": require a vowel ending.
    if (w === "seri") return "seri[oa]s?(?!\\p{L})";
    if (w === "тих") return "тих(?:ий|ая|ое|ие|а|е|і)?(?!\\p{L})";
    return WHOLE_WORDS.has(w) ? `${escaped}(?!\\p{L})` : escaped;
  });
  return { tone: tone as Tone, pattern: new RegExp(`(?<!\\p{L})(?:${alternatives.join("|")})`, "giu") };
});

/** The tone a personality description suggests; `neutral` when it says nothing we recognise. */
export function inferTone(personality: string): Tone {
  const text = personality.toLowerCase().replace(/ё/gu, "е");
  let best: Tone = "neutral";
  let bestScore = 0;
  for (const { tone, pattern } of TONE_PATTERNS) {
    const score = text.match(pattern)?.length ?? 0;
    if (score > bestScore) {
      best = tone;
      bestScore = score;
    }
  }
  return best;
}

/** FNV-1a: small, stable across runtimes, and good enough to spread seeds over a few variants. */
function hashSeed(seed: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function templateVariants(kind: MessageKind, language: Language, tone: Tone): Variants {
  return TEMPLATES[language][tone][kind];
}

export function pickTemplate(kind: MessageKind, language: Language, tone: Tone, variantSeed: string): string {
  const variants = templateVariants(kind, language, tone);
  return variants[hashSeed(`${kind}:${variantSeed}`) % variants.length] ?? variants[0];
}
