/**
 * "Let me take another one": what a persona says when the user asks for another take of a photo.
 * Same languages and tones as the other ready-written messages (templates.ts), so a regenerated
 * photo's waiting message sounds like the persona that took the first one.
 */
import type { Language } from "../../lib/language";

type Variants = readonly [string, ...string[]];
/** The tones of templates.ts (spelled out here: that file imports this one). */
type Tone = "cheerful" | "serious" | "shy" | "neutral";

export const REGENERATING_TEMPLATES: Record<Language, Record<Tone, Variants>> = {
  es: {
    cheerful: [
      "¡Dale, te saco otra! Te la mando en un ratito 😊",
      "¡Otra más, claro que sí! Ya la estoy sacando 📸",
      "¡Vamos con otra! Te la paso enseguida, mientras tanto cuéntame más 😄",
    ],
    serious: ["Entendido. Tomo otra foto y te la envío pronto.", "Voy a repetir la foto. Te llegará en breve.", "Preparo otra foto. Te la mando en cuanto esté lista."],
    shy: [
      "Mm... está bien, te saco otra... dame un momentito",
      "Eh... ¿otra? Bueno... la preparo y te la mando",
      "Bueno... lo intento otra vez... espero que esta te guste más",
    ],
    neutral: ["Claro, tomo otra foto. Te la mando en un rato.", "Un momento, estoy sacando otra foto.", "Otra foto en camino, te la envío en cuanto esté lista."],
  },
  en: {
    cheerful: [
      "Sure, let me take another one! I'll send it in a little while 😊",
      "Ooh, one more? On it, snapping a new one now 📸",
      "Another one coming right up! Tell me more while you wait 😄",
    ],
    serious: ["Understood. I'll take another photo and send it shortly.", "Taking a new photo now. You'll have it soon.", "I'll redo the photo. It will be ready soon."],
    shy: [
      "Mm... okay, let me take another one... I'll send it when it's ready",
      "Um... another one? Sure... just give me a moment",
      "Well... I'll try again... I hope you like this one more",
    ],
    neutral: ["Sure, I'll take another photo. I'll send it shortly.", "One moment, I'm taking a new photo for you.", "Another photo is on its way, I'll send it as soon as it's ready."],
  },
  ru: {
    cheerful: ["Конечно, сделаю ещё одно! Скоро пришлю 😊", "Ой, ещё фоточку? Уже снимаю новую 📸", "Сейчас будет ещё одно фото! Расскажи пока что-нибудь 😄"],
    serious: ["Понятно. Сделаю другое фото и скоро пришлю.", "Делаю новое фото. Скоро будет у тебя.", "Переснимаю фото. Отправлю, как только будет готово."],
    shy: ["Мм... ладно, сделаю ещё одно... пришлю, когда будет готово", "Эм... ещё одно? Хорошо... дай мне минутку", "Ну... попробую ещё раз... надеюсь, это понравится больше"],
    neutral: ["Хорошо, сделаю ещё одно фото. Скоро пришлю.", "Минутку, делаю новое фото.", "Ещё одно фото уже в пути, пришлю, как только будет готово."],
  },
  uk: {
    cheerful: ["Звісно, зроблю ще одне! Скоро надішлю 😊", "Ой, ще фоточку? Вже знімаю нове 📸", "Зараз буде ще одне фото! Розкажи поки щось 😄"],
    serious: ["Зрозуміло. Зроблю інше фото і скоро надішлю.", "Роблю нове фото. Незабаром буде в тебе.", "Перезнімаю фото. Надішлю, щойно буде готове."],
    shy: ["Мм... гаразд, зроблю ще одне... надішлю, коли буде готове", "Ем... ще одне? Добре... дай мені хвилинку", "Ну... спробую ще раз... сподіваюся, це сподобається більше"],
    neutral: ["Добре, зроблю ще одне фото. Скоро надішлю.", "Хвилинку, роблю нове фото.", "Ще одне фото вже в дорозі, надішлю, щойно буде готове."],
  },
  fr: {
    cheerful: [
      "Bien sûr, j'en prends une autre ! Je te l'envoie très vite 😊",
      "Oh, encore une ? C'est parti, je la prends tout de suite 📸",
      "Une autre photo arrive ! Raconte-moi un peu ta journée en attendant 😄",
    ],
    serious: [
      "C'est noté. Je prends une autre photo et je te l'envoie sous peu.",
      "Je refais la photo. Tu l'auras dans un instant.",
      "Je prépare une nouvelle photo. Je te l'envoie dès qu'elle est prête.",
    ],
    shy: [
      "Hum... d'accord, j'en prends une autre... je te l'envoie quand elle est prête",
      "Euh... encore une ? Bon... laisse-moi juste un petit moment",
      "Bon... je réessaie... j'espère que celle-ci te plaira plus",
    ],
    neutral: ["D'accord, je prends une autre photo. Je te l'envoie bientôt.", "Un instant, je refais la photo.", "Une nouvelle photo arrive, je te l'envoie dès qu'elle est prête."],
  },
  de: {
    cheerful: [
      "Klar, ich mache noch eins! Du bekommst es gleich 😊",
      "Oh, noch ein Foto? Wird gemacht, ich knipse sofort ein neues 📸",
      "Noch eins kommt sofort! Erzähl mir so lange noch was 😄",
    ],
    serious: [
      "Verstanden. Ich mache ein neues Foto und schicke es dir in Kürze.",
      "Ich mache das Foto noch einmal. Du bekommst es bald.",
      "Ich bereite ein weiteres Foto vor. Ich schicke es dir, sobald es fertig ist.",
    ],
    shy: [
      "Hm... okay, ich mache noch eins... ich schicke es dir, wenn es fertig ist",
      "Ähm... noch eins? Gut... gib mir nur einen kleinen Moment",
      "Na ja... ich versuche es nochmal... hoffentlich gefällt dir das hier besser",
    ],
    neutral: ["Gut, ich mache noch ein Foto. Ich schicke es dir gleich.", "Einen Moment, ich mache ein neues Foto.", "Noch ein Foto ist unterwegs, du bekommst es, sobald es fertig ist."],
  },
  pt: {
    cheerful: [
      "Claro, vou tirar outra! Já te mando, enquanto isso vamos conversando 😊",
      "Ai, mais uma? Deixa comigo, já estou tirando outra 📸",
      "Outra foto a caminho! Me conta mais enquanto isso 😄",
    ],
    serious: ["Entendido. Vou tirar outra foto e envio em breve.", "Estou refazendo a foto. Você vai recebê-la em instantes.", "Vou preparar uma nova foto. Envio assim que estiver pronta."],
    shy: [
      "Hum... tá bom, vou tirar outra... te mando quando estiver pronta",
      "Ah... mais uma? Tá... só me dá um minutinho",
      "Bom... vou tentar de novo... espero que você goste mais dessa",
    ],
    neutral: ["Tudo bem, vou tirar outra foto. Te mando daqui a pouco.", "Um momento, estou tirando uma nova foto.", "Outra foto já está a caminho, te envio assim que estiver pronta."],
  },
  it: {
    cheerful: [
      "Certo, ne scatto un'altra! Te la mando tra pochissimo 😊",
      "Oh, un'altra? Ci penso io, la sto scattando adesso 📸",
      "Arriva un'altra foto! Intanto raccontami qualcosa 😄",
    ],
    serious: ["Ricevuto. Scatto un'altra foto e te la mando a breve.", "Rifaccio la foto. Ti arriverà a breve.", "Sto preparando una nuova foto. Te la mando appena è pronta."],
    shy: [
      "Mm... va bene, ne scatto un'altra... te la mando quando è pronta",
      "Ehm... un'altra? Va bene... dammi solo un momentino",
      "Beh... ci riprovo... spero che questa ti piaccia di più",
    ],
    neutral: ["Va bene, scatto un'altra foto. Te la mando tra poco.", "Un momento, sto rifacendo la foto.", "Un'altra foto sta arrivando, te la mando appena è pronta."],
  },
  pl: {
    cheerful: [
      "Jasne, zrobię jeszcze jedno! Zaraz ci je wyślę 😊",
      "Och, jeszcze jedno? Już się robi, pstrykam nowe 📸",
      "Kolejne zdjęcie już w drodze! Opowiedz mi coś w międzyczasie 😄",
    ],
    serious: ["Rozumiem. Zrobię kolejne zdjęcie i wkrótce je wyślę.", "Robię nowe zdjęcie. Wkrótce je dostaniesz.", "Przygotowuję inne zdjęcie. Wyślę je, gdy tylko będzie gotowe."],
    shy: [
      "Mm... no dobrze, zrobię jeszcze jedno... wyślę ci je, jak będzie gotowe",
      "Eee... jeszcze jedno? Dobrze... daj mi tylko chwilkę",
      "No... spróbuję jeszcze raz... mam nadzieję, że to spodoba ci się bardziej",
    ],
    neutral: ["Dobrze, zrobię jeszcze jedno zdjęcie. Niedługo je wyślę.", "Chwileczkę, robię nowe zdjęcie.", "Kolejne zdjęcie jest już w drodze, wyślę je, jak tylko będzie gotowe."],
  },
  tr: {
    cheerful: [
      "Tabii, bir tane daha çekiyorum! Birazdan gönderirim 😊",
      "Ay, bir tane daha mı? Hemen hallediyorum, yenisini çekiyorum 📸",
      "Yeni fotoğraf geliyor! Bu arada bana biraz daha anlat 😄",
    ],
    serious: [
      "Anlaşıldı. Başka bir fotoğraf çekip kısa süre içinde gönderiyorum.",
      "Fotoğrafı yeniden çekiyorum. Birazdan sende olacak.",
      "Yeni bir fotoğraf hazırlıyorum. Hazır olur olmaz gönderirim.",
    ],
    shy: [
      "Şey... tamam, bir tane daha çekeyim... hazır olunca gönderirim",
      "Ee... bir tane daha mı? Olur... bana biraz zaman ver",
      "Şey... bir daha deneyeyim... umarım bunu daha çok beğenirsin",
    ],
    neutral: ["Tamam, bir fotoğraf daha çekiyorum. Birazdan gönderirim.", "Bir dakika, yeni bir fotoğraf çekiyorum.", "Yeni fotoğraf yolda, hazır olur olmaz gönderirim."],
  },
  ja: {
    cheerful: ["いいよ、もう一枚撮るね！すぐ送るね😊", "もう一枚？まかせて、今撮り直してるよ📸", "新しい写真、もうすぐ届くよ！その間にもっとお話聞かせて😄"],
    serious: ["承知しました。もう一枚撮ってお送りします。", "写真を撮り直しています。まもなくお送りします。", "新しい写真を準備しています。できあがり次第お送りします。"],
    shy: ["えっと…うん、もう一枚撮るね…できたら送るね", "あの…もう一枚？わかった…ちょっとだけ待ってて", "えっと…もう一回やってみるね…今度は気に入ってくれるといいな"],
    neutral: ["わかった、もう一枚撮るね。すぐ送るね。", "ちょっと待ってね、写真を撮り直してるよ。", "新しい写真を撮ってるところ。できたらすぐ送るね。"],
  },
  zh: {
    cheerful: ["好呀，我再拍一张！很快就发给你😊", "还要一张？包在我身上，我正在重拍📸", "新照片马上就来！趁这会儿再跟我多聊聊😄"],
    serious: ["明白。我再拍一张照片，稍后发给你。", "正在重新拍照片，好了就发给你。", "我来准备一张新照片，很快就好。"],
    shy: ["嗯……好吧，我再拍一张……好了就发给你", "那个……还要一张吗？好……稍微等我一下下", "嗯……我再试一次……希望你会更喜欢这张"],
    neutral: ["好的，我再拍一张照片，很快发给你。", "稍等一下，我正在重拍照片。", "新照片马上就到，好了就发给你。"],
  },
  ko: {
    cheerful: ["좋아, 한 장 더 찍을게! 금방 보내줄게 😊", "한 장 더? 나한테 맡겨, 지금 다시 찍는 중이야 📸", "새 사진 곧 갈 거야! 그동안 얘기 더 해줘 😄"],
    serious: ["알겠어요. 사진 한 장 더 찍어서 곧 보내드릴게요.", "사진 다시 찍고 있어요. 곧 보내드릴게요.", "새 사진 준비하고 있어요. 완성되면 바로 보낼게요."],
    shy: ["음... 알았어, 한 장 더 찍어볼게... 다 되면 보내줄게", "어... 한 장 더? 응... 잠깐만 기다려 줘", "그럼... 다시 해볼게... 이번엔 더 마음에 들었으면 좋겠다"],
    neutral: ["좋아, 사진 한 장 더 찍을게. 곧 보내줄게.", "잠깐만, 사진 다시 찍고 있어.", "새 사진 곧 갈 거야, 다 되면 바로 보낼게."],
  },
};
