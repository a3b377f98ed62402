/**
 * The persona's refusal when the content policy stops a photo: said in character and in the chat's
 * language, instead of a waiting message. Always a template, never the LLM: a refused request is
 * not sent to another model to be talked about, and the chat must not wait for it. The message
 * never says why (that is kept for operators) and leaves room to ask for something else.
 */
import type { Language } from "../../lib/language";
import { inferTone, type Tone } from "./templates";

type RefusalTable = Record<Language, Record<Tone, readonly [string, ...string[]]>>;

const REFUSALS: RefusalTable = {
  es: {
    cheerful: ["¡Uy, esa foto no te la puedo mandar! 🙈 Pídeme otra cosa y te la hago encantada ✨"],
    serious: ["Esa foto no la voy a hacer. Pídeme otra cosa, por favor."],
    shy: ["Eh... esa foto no puedo hacerla... ¿me pides otra cosa?"],
    neutral: ["Lo siento, esa foto no te la puedo mandar. ¿Te hago otra?"],
  },
  en: {
    cheerful: ["Oops, that's a photo I can't send you! 🙈 Ask me for something else and I'll happily take it ✨"],
    serious: ["I won't take that photo. Please ask me for something else."],
    shy: ["Um... I can't take that photo... could you ask me for something else?"],
    neutral: ["Sorry, I can't send you that photo. Shall I take a different one?"],
  },
  ru: {
    cheerful: ["Ой, такое фото я тебе не пришлю! 🙈 Попроси что-нибудь другое, и я с радостью сделаю ✨"],
    serious: ["Такое фото я делать не буду. Попроси, пожалуйста, что-нибудь другое."],
    shy: ["Эм... такое фото я не могу сделать... попросишь что-нибудь другое?"],
    neutral: ["Извини, такое фото я не могу прислать. Сделать другое?"],
  },
  uk: {
    cheerful: ["Ой, такого фото я тобі не надішлю! 🙈 Попроси щось інше, і я з радістю зроблю ✨"],
    serious: ["Такого фото я робити не буду. Попроси, будь ласка, щось інше."],
    shy: ["Ем... такого фото я не можу зробити... попросиш щось інше?"],
    neutral: ["Вибач, такого фото я не можу надіслати. Зробити інше?"],
  },
  fr: {
    cheerful: ["Oups, cette photo-là, je ne peux pas te l'envoyer ! 🙈 Demande-moi autre chose et je la fais avec plaisir ✨"],
    serious: ["Je ne ferai pas cette photo. Demande-moi autre chose, s'il te plaît."],
    shy: ["Euh... cette photo, je ne peux pas la faire... tu veux bien me demander autre chose ?"],
    neutral: ["Désolée, je ne peux pas t'envoyer cette photo. J'en fais une autre ?"],
  },
  de: {
    cheerful: ["Ups, dieses Foto kann ich dir nicht schicken! 🙈 Wünsch dir etwas anderes, dann mache ich es gerne ✨"],
    serious: ["Dieses Foto mache ich nicht. Bitte wünsch dir etwas anderes."],
    shy: ["Ähm... dieses Foto kann ich nicht machen... wünschst du dir etwas anderes?"],
    neutral: ["Tut mir leid, dieses Foto kann ich dir nicht schicken. Soll ich ein anderes machen?"],
  },
  pt: {
    cheerful: ["Ops, essa foto eu não posso te mandar! 🙈 Pede outra coisa que eu faço com todo o prazer ✨"],
    serious: ["Essa foto eu não vou fazer. Por favor, pede outra coisa."],
    shy: ["Hum... essa foto eu não consigo fazer... você pode me pedir outra coisa?"],
    neutral: ["Desculpa, essa foto eu não posso te mandar. Quer que eu faça outra?"],
  },
  it: {
    cheerful: ["Ops, questa foto non te la posso mandare! 🙈 Chiedimi qualcos'altro e te la faccio volentieri ✨"],
    serious: ["Questa foto non la farò. Chiedimi qualcos'altro, per favore."],
    shy: ["Ehm... questa foto non posso farla... mi chiedi qualcos'altro?"],
    neutral: ["Mi dispiace, questa foto non te la posso mandare. Ne faccio un'altra?"],
  },
  pl: {
    cheerful: ["Ups, takiego zdjęcia nie mogę ci wysłać! 🙈 Poproś o coś innego, a chętnie zrobię ✨"],
    serious: ["Nie zrobię tego zdjęcia. Poproś, proszę, o coś innego."],
    shy: ["Yyy... takiego zdjęcia nie mogę zrobić... poprosisz o coś innego?"],
    neutral: ["Przepraszam, takiego zdjęcia nie mogę ci wysłać. Zrobić inne?"],
  },
  tr: {
    cheerful: ["Ayy, bu fotoğrafı sana gönderemem! 🙈 Başka bir şey iste, seve seve çekerim ✨"],
    serious: ["Bu fotoğrafı çekmeyeceğim. Lütfen başka bir şey iste."],
    shy: ["Şey... bu fotoğrafı çekemem... başka bir şey ister misin?"],
    neutral: ["Üzgünüm, bu fotoğrafı sana gönderemem. Başka bir tane çekeyim mi?"],
  },
  ja: {
    cheerful: ["あっ、その写真は送れないんだ！🙈 ほかのお願いならよろこんで撮るね✨"],
    serious: ["その写真は撮れません。ほかのものをお願いします。"],
    shy: ["えっと……その写真は撮れないの……ほかのじゃだめかな？"],
    neutral: ["ごめんね、その写真は送れないの。別の写真を撮ろうか？"],
  },
  zh: {
    cheerful: ["哎呀，这张照片我不能发给你！🙈 换一个吧，我很乐意帮你拍 ✨"],
    serious: ["这张照片我不会拍。请换一个要求。"],
    shy: ["嗯……这张照片我不能拍……可以换一个吗？"],
    neutral: ["抱歉，这张照片我不能发给你。要不要拍一张别的？"],
  },
  ko: {
    cheerful: ["앗, 그 사진은 보내줄 수 없어! 🙈 다른 걸 부탁하면 기꺼이 찍어줄게 ✨"],
    serious: ["그 사진은 찍지 않겠습니다. 다른 것을 부탁해 주세요."],
    shy: ["음... 그 사진은 못 찍겠어... 다른 걸 부탁해 줄래?"],
    neutral: ["미안해, 그 사진은 보내줄 수 없어. 다른 사진 찍어줄까?"],
  },
};

export function refusalVariants(language: Language, tone: Tone): readonly string[] {
  return REFUSALS[language][tone];
}

/** The persona's refusal in the chat's language, in the tone its personality reads as. */
export function refusalMessage(language: Language, personality: string): string {
  return REFUSALS[language][inferTone(personality)][0];
}
