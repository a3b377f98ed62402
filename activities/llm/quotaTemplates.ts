/**
 * "No more photos today": what a persona says when the daily image quota is used up, instead of
 * a photo. Same languages and tones as the other ready-written messages (templates.ts), so the
 * refusal stays in character and never mentions limits in technical words.
 */
import type { Language } from "../../lib/language";

type Variants = readonly [string, ...string[]];
/** The tones of templates.ts (spelled out here: that file imports this one). */
type Tone = "cheerful" | "serious" | "shy" | "neutral";

export const QUOTA_TEMPLATES: Record<Language, Record<Tone, Variants>> = {
  es: {
    cheerful: [
      "¡Ay, por hoy ya no me quedan fotos! Mañana te mando más 😊",
      "¡Uy, hoy ya saqué todas las fotos que podía! Mañana seguimos 📸",
      "¡Por hoy se acabaron las fotos! Pero mañana te mando otra, sigamos charlando 😄",
    ],
    serious: ["Hoy ya no puedo enviar más fotos. Mañana sí.", "Por hoy se alcanzó el límite de fotos. Te envío más mañana.", "No puedo tomar más fotos hoy. Lo siento."],
    shy: ["Mm... hoy ya no puedo sacar más fotos... ¿mañana?", "Eh... perdona, por hoy ya no me quedan fotos...", "Bueno... mañana te mando otra, ¿está bien?..."],
    neutral: ["Hoy ya no puedo mandarte más fotos, mañana sí.", "Por hoy se acabaron las fotos, te mando más mañana.", "Ya no me quedan fotos por hoy. Mañana seguimos."],
  },
  en: {
    cheerful: [
      "Oh no, I'm out of photos for today! I'll send you more tomorrow 😊",
      "That's all the photos I can take today! Let's do more tomorrow 📸",
      "No more photos today, sorry! Tomorrow I'll send you a new one, let's keep chatting 😄",
    ],
    serious: ["I can't send more photos today. Tomorrow I can.", "The photo limit for today is reached. I'll send more tomorrow.", "No more photos today. Sorry."],
    shy: ["Mm... I can't take more photos today... tomorrow?", "Um... sorry, I'm out of photos for today...", "Well... I'll send you one tomorrow, okay?..."],
    neutral: ["I can't send you more photos today, but tomorrow I can.", "That's it for photos today, I'll send more tomorrow.", "No more photos for today. Let's continue tomorrow."],
  },
  ru: {
    cheerful: [
      "Ой, на сегодня фотки закончились! Завтра пришлю ещё 😊",
      "На сегодня это все фото, что я могу! Завтра продолжим 📸",
      "Сегодня больше фото не будет, прости! Завтра пришлю новое, а пока давай болтать 😄",
    ],
    serious: ["Сегодня больше фото прислать не могу. Завтра смогу.", "Лимит фото на сегодня исчерпан. Пришлю ещё завтра.", "Сегодня фото больше не будет. Извини."],
    shy: ["Мм... сегодня больше фото не получится... может, завтра?", "Эм... прости, на сегодня фото закончились...", "Ну... завтра пришлю ещё одно, хорошо?..."],
    neutral: ["Сегодня больше фото прислать не могу, завтра смогу.", "На сегодня фото закончились, пришлю ещё завтра.", "Фото на сегодня всё. Продолжим завтра."],
  },
  uk: {
    cheerful: [
      "Ой, на сьогодні фоточки закінчилися! Завтра надішлю ще 😊",
      "На сьогодні це всі фото, що я можу! Завтра продовжимо 📸",
      "Сьогодні більше фото не буде, вибач! Завтра надішлю нове, а поки давай балакати 😄",
    ],
    serious: ["Сьогодні більше фото надіслати не можу. Завтра зможу.", "Ліміт фото на сьогодні вичерпано. Надішлю ще завтра.", "Сьогодні фото більше не буде. Вибач."],
    shy: ["Мм... сьогодні більше фото не вийде... може, завтра?", "Ем... вибач, на сьогодні фото закінчилися...", "Ну... завтра надішлю ще одне, добре?..."],
    neutral: ["Сьогодні більше фото надіслати не можу, завтра зможу.", "На сьогодні фото закінчилися, надішлю ще завтра.", "Фото на сьогодні все. Продовжимо завтра."],
  },
  fr: {
    cheerful: [
      "Oh non, plus de photos pour aujourd'hui ! Je t'en envoie d'autres demain 😊",
      "C'est tout pour les photos aujourd'hui ! On continue demain 📸",
      "Plus de photos aujourd'hui, désolée ! Demain je t'en envoie une nouvelle, on continue à discuter 😄",
    ],
    serious: [
      "Je ne peux plus envoyer de photos aujourd'hui. Demain, oui.",
      "La limite de photos est atteinte pour aujourd'hui. J'en enverrai d'autres demain.",
      "Plus de photos aujourd'hui. Désolée.",
    ],
    shy: ["Hum... je ne peux plus prendre de photos aujourd'hui... demain ?", "Euh... désolée, plus de photos pour aujourd'hui...", "Bon... je t'en envoie une demain, d'accord ?..."],
    neutral: [
      "Je ne peux plus t'envoyer de photos aujourd'hui, mais demain oui.",
      "C'est fini pour les photos aujourd'hui, je t'en envoie d'autres demain.",
      "Plus de photos pour aujourd'hui. On continue demain.",
    ],
  },
  de: {
    cheerful: [
      "Oh nein, für heute sind meine Fotos alle! Morgen schicke ich dir mehr 😊",
      "Das waren alle Fotos für heute! Morgen geht es weiter 📸",
      "Heute keine Fotos mehr, sorry! Morgen schicke ich dir ein neues, lass uns so lange weiterquatschen 😄",
    ],
    serious: ["Heute kann ich keine Fotos mehr schicken. Morgen wieder.", "Das Limit für Fotos ist für heute erreicht. Ich schicke dir morgen mehr.", "Heute gibt es keine Fotos mehr. Tut mir leid."],
    shy: ["Hm... heute kann ich keine Fotos mehr machen... morgen?", "Ähm... tut mir leid, für heute sind die Fotos alle...", "Na ja... ich schicke dir morgen eins, okay?..."],
    neutral: ["Heute kann ich dir keine Fotos mehr schicken, morgen wieder.", "Für heute ist Schluss mit Fotos, ich schicke dir morgen mehr.", "Keine Fotos mehr für heute. Morgen geht es weiter."],
  },
  pt: {
    cheerful: [
      "Ai, as fotos de hoje acabaram! Amanhã te mando mais 😊",
      "Por hoje já tirei todas as fotos que podia! Amanhã tem mais 📸",
      "Hoje não tem mais foto, desculpa! Amanhã te mando uma nova, enquanto isso vamos conversando 😄",
    ],
    serious: ["Hoje não posso enviar mais fotos. Amanhã sim.", "O limite de fotos de hoje foi atingido. Envio mais amanhã.", "Hoje não haverá mais fotos. Desculpe."],
    shy: ["Hum... hoje não consigo tirar mais fotos... amanhã?", "Ah... desculpa, as fotos de hoje acabaram...", "Bom... amanhã te mando outra, tá bom?..."],
    neutral: ["Hoje não posso te mandar mais fotos, mas amanhã sim.", "Por hoje acabaram as fotos, te mando mais amanhã.", "Sem mais fotos por hoje. Amanhã a gente continua."],
  },
  it: {
    cheerful: [
      "Oh no, per oggi le foto sono finite! Domani te ne mando altre 😊",
      "Per oggi ho scattato tutte le foto che potevo! Domani continuiamo 📸",
      "Oggi niente più foto, scusa! Domani te ne mando una nuova, intanto continuiamo a chiacchierare 😄",
    ],
    serious: ["Oggi non posso mandare altre foto. Domani sì.", "Il limite di foto per oggi è raggiunto. Te ne mando altre domani.", "Oggi niente più foto. Mi dispiace."],
    shy: ["Mm... scusa, oggi non posso più scattare foto... magari domani?", "Ehm... scusa, per oggi le foto sono finite...", "Beh... domani te ne mando una, ti va bene?... scusami"],
    neutral: ["Oggi non posso mandarti altre foto, ma domani sì.", "Per oggi le foto sono finite, te ne mando altre domani.", "Niente più foto per oggi. Continuiamo domani."],
  },
  pl: {
    cheerful: [
      "Ojej, na dziś skończyły mi się zdjęcia! Jutro wyślę ci więcej 😊",
      "To wszystkie zdjęcia na dziś! Jutro robimy dalej 📸",
      "Dziś już nie będzie zdjęć, przepraszam! Jutro wyślę ci nowe, a na razie gadajmy dalej 😄",
    ],
    serious: ["Dziś nie mogę wysłać więcej zdjęć. Jutro tak.", "Limit zdjęć na dziś został wyczerpany. Wyślę więcej jutro.", "Dziś nie będzie już zdjęć. Przepraszam."],
    shy: ["Mm... dziś nie mogę zrobić więcej zdjęć... może jutro?", "Eee... przepraszam, na dziś zdjęcia się skończyły...", "No... jutro wyślę ci jedno, dobrze?..."],
    neutral: ["Dziś nie mogę wysłać ci więcej zdjęć, ale jutro tak.", "Na dziś koniec ze zdjęciami, wyślę więcej jutro.", "Nie ma już zdjęć na dziś. Jutro dalej."],
  },
  tr: {
    cheerful: [
      "Ay, bugünlük fotoğraflarım bitti! Yarın sana daha çok gönderirim 😊",
      "Bugün çekebileceğim bütün fotoğraflar bu kadar! Yarın devam ederiz 📸",
      "Bugün başka fotoğraf yok, kusura bakma! Yarın yenisini gönderirim, biz sohbete devam edelim 😄",
    ],
    serious: ["Bugün daha fazla fotoğraf gönderemem. Yarın gönderebilirim.", "Bugünkü fotoğraf sınırına ulaşıldı. Yarın daha fazlasını gönderirim.", "Bugün başka fotoğraf olmayacak. Üzgünüm."],
    shy: ["Şey... bugün daha fazla fotoğraf çekemiyorum... yarın olur mu?", "Ee... kusura bakma, bugünlük fotoğraflar bitti...", "Şey... yarın bir tane gönderirim, olur mu?..."],
    neutral: ["Bugün sana daha fazla fotoğraf gönderemem, ama yarın olur.", "Bugünlük fotoğraflar bitti, yarın daha fazlasını gönderirim.", "Bugün için fotoğraf yok artık. Yarın devam ederiz."],
  },
  ja: {
    cheerful: ["ごめんね、今日の写真はもうおしまい！明日また送るね😊", "今日撮れる写真はここまで！続きは明日ね📸", "今日はもう写真送れないんだ、ごめんね！明日新しいの送るから、それまでおしゃべりしよ😄"],
    serious: ["本日はこれ以上写真をお送りできません。明日またお送りします。", "本日の写真の上限に達しました。明日またお送りします。", "本日の写真はここまでです。申し訳ありません。"],
    shy: ["えっと…今日はもう写真撮れないの…明日でもいい？", "あの…ごめんね、今日の写真はもうおしまい…", "えっと…明日また送るね、いいかな…"],
    neutral: ["今日はもう写真を送れないけど、明日なら送れるよ。", "今日の写真はおしまい。明日また送るね。", "今日はここまで。続きは明日ね。"],
  },
  zh: {
    cheerful: ["哎呀，今天的照片用完啦！明天再发给你😊", "今天能拍的照片就这些啦！明天继续📸", "今天不能再发照片了，抱歉！明天给你拍新的，我们先接着聊吧😄"],
    serious: ["今天无法再发送照片了。明天可以。", "今天的照片已达上限。明天再发给你。", "今天不会再有照片了。抱歉。"],
    shy: ["嗯……今天不能再拍照片了……明天好吗", "那个……对不起，今天的照片用完了……", "嗯……明天再发给你一张，好吗……"],
    neutral: ["今天不能再给你发照片了，明天可以。", "今天的照片到此为止，明天再发给你。", "今天没有照片了，明天继续。"],
  },
  ko: {
    cheerful: ["아쉽다, 오늘 사진은 다 떨어졌어! 내일 더 보내줄게 😊", "오늘 찍을 수 있는 사진은 여기까지야! 내일 또 하자 📸", "오늘은 사진 더 못 보내, 미안! 내일 새로 찍어서 보내줄게, 우리 계속 얘기하자 😄"],
    serious: ["오늘은 사진을 더 보낼 수 없어요. 내일은 가능해요.", "오늘 사진 한도에 도달했어요. 내일 더 보내드릴게요.", "오늘은 더 이상 사진이 없어요. 죄송해요."],
    shy: ["음... 오늘은 사진을 더 못 찍어... 내일 괜찮아?", "어... 미안, 오늘 사진은 다 떨어졌어...", "그럼... 내일 한 장 보내줄게, 괜찮지...?"],
    neutral: ["오늘은 사진을 더 못 보내, 내일은 보낼 수 있어.", "오늘 사진은 여기까지야, 내일 더 보내줄게.", "오늘은 사진 끝이야. 내일 계속하자."],
  },
};
