/**
 * Ready-written in-character messages: the answer when no LLM is configured, when it is slow or
 * broken, and the fast path when the chat must reply this instant. The persona's personality picks
 * the tone; a seed picks the variant, so a retried or replayed step says the same thing again.
 */
import type { Language } from "../../lib/language";
import { QUOTA_TEMPLATES } from "./quotaTemplates";
import { REGENERATING_TEMPLATES } from "./regenerateTemplates";

/**
 * `regenerating` is a regenerated photo's waiting message ("let me take another one"); `quota`
 * answers a photo the daily quota does not allow ("no more photos today").
 */
export type MessageKind = "waiting" | "completed" | "failed" | "regenerating" | "quota";
export type Tone = "cheerful" | "serious" | "shy" | "neutral";

type Variants = readonly [string, ...string[]];
type TemplateTable = Record<Language, Record<Tone, Record<"waiting" | "completed" | "failed", Variants>>>;

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
      completed: ["Aquí está la foto que te prometí.", "Ya está lista la foto.", "Ahora te mando la foto."],
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
  fr: {
    cheerful: {
      waiting: [
        "Une seconde, je prends la photo ! Je te l'envoie très vite, on continue à discuter 😊",
        "Oh, j'adore l'idée ! Je la prends tout de suite, elle arrive bientôt 📸",
        "C'est parti ! La photo est en route, raconte-moi un peu ta journée en attendant 😄",
      ],
      completed: ["Et voilà la photo promise ! 📸", "Tadaa ! Regarde comme elle est réussie 😍", "C'est prêt ! Alors, tu en penses quoi ? ✨"],
      failed: [
        "Oups, la photo n'est pas réussie... on réessaie dans un petit moment ? 🙈",
        "Oh non, j'ai raté la photo 😅 Laisse-moi réessayer un peu plus tard.",
        "Quelque chose a coincé avec la photo... mais je ne lâche rien, je réessaie bientôt ! 💪",
      ],
    },
    serious: {
      waiting: [
        "Je prends la photo. Tu l'auras sous peu.",
        "Je prépare la photo. Je te l'envoie dès qu'elle est prête.",
        "C'est noté. La photo sera prête dans un instant.",
      ],
      completed: ["La photo est prête.", "Voici la photo.", "C'est fait. Je t'envoie la photo."],
      failed: [
        "La photo n'a pas pu être réalisée. Je réessaierai plus tard.",
        "Je n'ai pas pu terminer la photo. Toutes mes excuses.",
        "Il y a eu un problème avec la photo. Je m'en excuse.",
      ],
    },
    shy: {
      waiting: [
        "Hum, je vais prendre la photo... je te l'envoie quand elle est prête",
        "Euh... d'accord, je la prends... laisse-moi juste un petit moment",
        "Bon... je la prépare tranquillement et je te l'envoie quand j'ai fini",
      ],
      completed: [
        "J'ai fini la photo... j'espère qu'elle te plaira",
        "La voilà... c'est un peu gênant, mais j'espère qu'elle te plaît",
        "Euh... la photo est prête. Tu me dis ce que tu en penses ?...",
      ],
      failed: [
        "Pardon... la photo n'est pas réussie...",
        "Hum... je crois que j'ai raté la photo, pardon...",
        "Oh... la photo n'a pas marché. Je peux réessayer un peu plus tard ?",
      ],
    },
    neutral: {
      waiting: [
        "Un instant, je m'occupe de la photo. Je te l'envoie bientôt.",
        "Je suis sur la photo, je te l'envoie dès qu'elle est prête.",
        "Juste un moment, la photo arrive.",
      ],
      completed: ["Voici la photo promise.", "La photo est prête.", "Je t'envoie la photo."],
      failed: [
        "Oups, la photo n'a pas marché. Pardon.",
        "Je n'ai pas pu finir la photo, excuse-moi.",
        "Quelque chose s'est mal passé avec la photo. On réessaie plus tard ?",
      ],
    },
  },
  de: {
    cheerful: {
      waiting: [
        "Sekunde, ich mache schnell das Foto! Du bekommst es gleich, lass uns so lange weiterquatschen 😊",
        "Oh, tolle Idee! Ich knipse es sofort, es ist gleich bei dir 📸",
        "Wird gemacht! Das Foto ist schon unterwegs, erzähl mir so lange noch was 😄",
      ],
      completed: ["Hier ist das versprochene Foto! 📸", "Tadaa! Schau mal, wie schön es geworden ist 😍", "Fertig! Na, wie gefällt es dir? ✨"],
      failed: [
        "Ups, das Foto ist nichts geworden... versuchen wir es gleich nochmal? 🙈",
        "Oh nein, das Foto ist mir misslungen 😅 Lass es mich später nochmal probieren.",
        "Irgendwas ist mit dem Foto schiefgelaufen... aber ich gebe nicht auf, ich versuche es bald wieder! 💪",
      ],
    },
    serious: {
      waiting: [
        "Ich mache das Foto. Du bekommst es in Kürze.",
        "Ich bereite das Foto vor. Ich schicke es dir, sobald es fertig ist.",
        "Verstanden. Das Foto ist bald fertig.",
      ],
      completed: ["Das Foto ist fertig.", "Hier ist das Foto.", "Erledigt. Ich schicke dir das Foto."],
      failed: [
        "Das Foto ist nicht gelungen. Ich versuche es später noch einmal.",
        "Ich konnte das Foto nicht fertigstellen. Entschuldige bitte.",
        "Es gab ein Problem mit dem Foto. Das tut mir leid.",
      ],
    },
    shy: {
      waiting: [
        "Hm, ich mache mal das Foto... ich schicke es dir, wenn es fertig ist",
        "Ähm... okay, ich mache es... gib mir nur einen kleinen Moment",
        "Na ja... ich bereite es in Ruhe vor und schicke es dir, wenn ich fertig bin",
      ],
      completed: [
        "Ich bin mit dem Foto fertig... ich hoffe, es gefällt dir",
        "Hier ist es... ist mir ein bisschen peinlich, aber ich hoffe, es gefällt dir",
        "Ähm... das Foto ist fertig. Sagst du mir, wie du es findest?...",
      ],
      failed: [
        "Entschuldige... das Foto ist nichts geworden...",
        "Hm... das Foto ist leider nicht gut geworden, tut mir echt leid...",
        "Oh... das mit dem Foto hat nicht geklappt. Darf ich es später nochmal versuchen?",
      ],
    },
    neutral: {
      waiting: [
        "Einen Moment, ich kümmere mich um das Foto. Ich schicke es dir gleich.",
        "Ich bin schon am Foto dran, du bekommst es, sobald es fertig ist.",
        "Nur einen Moment, das Foto ist unterwegs.",
      ],
      completed: ["Hier ist das versprochene Foto.", "Das Foto ist fertig.", "Ich schicke dir das Foto."],
      failed: [
        "Ups, das Foto hat nicht geklappt. Sorry.",
        "Ich konnte das Foto nicht fertig machen, tut mir leid.",
        "Mit dem Foto ist etwas schiefgelaufen. Versuchen wir es später nochmal?",
      ],
    },
  },
  pt: {
    cheerful: {
      waiting: [
        "Só um segundinho que eu tiro a foto! Já te mando, enquanto isso vamos conversando 😊",
        "Ai, adorei a ideia! Já estou tirando, daqui a pouco chega aí 📸",
        "Deixa comigo! A foto já está a caminho, me conta mais enquanto isso 😄",
      ],
      completed: ["Aqui está a foto que eu prometi! 📸", "Pronto! Olha só como ficou 😍", "Tcharam! Sua foto chegou, o que você achou? ✨"],
      failed: [
        "Ops, a foto não ficou boa... vamos tentar de novo daqui a pouco? 🙈",
        "Ai, não! A foto deu errado 😅 Me deixa tentar de novo mais tarde.",
        "Deu algum problema com a foto... mas eu não desisto, logo tento de novo! 💪",
      ],
    },
    serious: {
      waiting: [
        "Vou tirar a foto. Você vai recebê-la em breve.",
        "Estou preparando a foto. Envio assim que estiver pronta.",
        "Entendido. A foto fica pronta em instantes, não vai demorar.",
      ],
      completed: ["A foto já está pronta.", "Aqui está a foto.", "Pronto. Estou enviando a foto para você."],
      failed: [
        "A foto não saiu como deveria. Vou tentar de novo mais tarde.",
        "Não consegui terminar a foto. Peço desculpas.",
        "Houve um problema com a foto. Sinto muito, não deu certo.",
      ],
    },
    shy: {
      waiting: [
        "Hum, deixa eu tirar a foto... te mando quando estiver pronta",
        "Ah... tá bom, vou tirar... só me dá um minutinho",
        "Bom... vou preparar com calma e te mando quando terminar",
      ],
      completed: [
        "Terminei a foto... espero que você goste",
        "Aqui está... fico um pouco sem graça, mas espero que você goste",
        "Hum... a foto está pronta. Me diz o que você achou...",
      ],
      failed: [
        "Desculpa... a foto não ficou boa...",
        "Hum... a foto não deu certo, me desculpa mesmo...",
        "Ai... a foto não funcionou. Posso tentar de novo mais tarde?",
      ],
    },
    neutral: {
      waiting: [
        "Um momento, estou preparando a foto. Te mando daqui a pouco.",
        "Já estou cuidando da foto, te envio assim que estiver pronta.",
        "Só um instante, a foto já está a caminho.",
      ],
      completed: ["Aqui está a foto que prometi.", "A foto já está pronta.", "Estou te mandando a foto."],
      failed: [
        "Ops, a foto não deu certo. Desculpa.",
        "Não consegui terminar a foto, me desculpe.",
        "Algo deu errado com a foto. Vamos tentar mais tarde?",
      ],
    },
  },
  it: {
    cheerful: {
      waiting: [
        "Un secondo che scatto la foto! Te la mando tra pochissimo, intanto continuiamo a chiacchierare 😊",
        "Oh, che bella idea! La sto scattando adesso, tra un attimo ce l'hai 📸",
        "Ci penso io! La foto sta arrivando, intanto raccontami qualcosa 😄",
      ],
      completed: ["Ecco la foto che ti avevo promesso! 📸", "Tadà! Guarda com'è venuta 😍", "Fatto! Allora, che ne dici? ✨"],
      failed: [
        "Ops, la foto non è venuta bene... riproviamo tra un po'? 🙈",
        "Oh no, ho rovinato la foto 😅 Fammi riprovare più tardi.",
        "Qualcosa è andato storto con la foto... ma non mi arrendo, ci riprovo presto! 💪",
      ],
    },
    serious: {
      waiting: [
        "Scatto la foto. Ti arriverà a breve.",
        "Sto preparando la foto. Te la mando appena è pronta.",
        "Ricevuto. La foto sarà pronta a breve.",
      ],
      completed: ["La foto è pronta.", "Ecco la foto.", "Fatto. Ecco, ti mando la foto."],
      failed: [
        "La foto non è venuta bene. Riproverò più tardi.",
        "Non è stato possibile finire la foto. Mi scuso.",
        "C'è stato un problema con la foto. Mi dispiace.",
      ],
    },
    shy: {
      waiting: [
        "Mm, lascia che scatti la foto... te la mando quando è pronta",
        "Ehm... va bene, la scatto... dammi solo un momentino",
        "Beh... la preparo con calma e te la mando quando ho finito",
      ],
      completed: [
        "Ho finito la foto... spero che ti piaccia",
        "Eccola... mi vergogno un po', ma spero che ti piaccia",
        "Ehm... la foto è pronta. Mi dici cosa ne pensi?...",
      ],
      failed: [
        "Scusa... la foto non è venuta bene...",
        "Mm... la foto non è riuscita, mi dispiace tanto...",
        "Oh... la foto non ha funzionato. Posso riprovare più tardi?",
      ],
    },
    neutral: {
      waiting: [
        "Un momento, sto preparando la foto. Te la mando tra poco.",
        "Sto lavorando alla foto, te la mando appena è pronta.",
        "Solo un momento, la foto sta arrivando.",
      ],
      completed: ["Ecco la foto che ti avevo promesso.", "La foto è pronta.", "Ecco, ti mando la foto."],
      failed: [
        "Ops, la foto non è venuta bene. Scusa.",
        "Non ce l'ho fatta a finire la foto, scusami.",
        "Qualcosa è andato storto con la foto. Riproviamo più tardi?",
      ],
    },
  },
  pl: {
    cheerful: {
      waiting: [
        "Sekundka, już robię zdjęcie! Zaraz ci je wyślę, a na razie gadajmy dalej 😊",
        "Och, super pomysł! Już pstrykam, zaraz będzie u ciebie 📸",
        "Już się robi! Zdjęcie jest w drodze, opowiedz mi coś w międzyczasie 😄",
      ],
      completed: ["Oto obiecane zdjęcie! 📸", "Ta-dam! Zobacz, jak wyszło 😍", "Gotowe! No i jak ci się podoba? ✨"],
      failed: [
        "Ups, zdjęcie nie wyszło... spróbujemy jeszcze raz za chwilkę? 🙈",
        "O nie, zdjęcie mi się zepsuło 😅 Daj mi spróbować jeszcze raz trochę później.",
        "Coś poszło nie tak ze zdjęciem... ale się nie poddaję, zaraz spróbuję znowu! 💪",
      ],
    },
    serious: {
      waiting: [
        "Zrobię zdjęcie. Wkrótce je dostaniesz.",
        "Przygotowuję zdjęcie. Wyślę je, gdy tylko będzie gotowe.",
        "Rozumiem. Zdjęcie będzie wkrótce gotowe.",
      ],
      completed: ["Zdjęcie jest gotowe.", "Oto zdjęcie.", "Gotowe. Przesyłam zdjęcie."],
      failed: [
        "Zdjęcie nie wyszło. Spróbuję ponownie później.",
        "Nie udało się dokończyć zdjęcia. Przepraszam.",
        "Wystąpił problem ze zdjęciem. Przykro mi.",
      ],
    },
    shy: {
      waiting: [
        "Mm, daj mi zrobić to zdjęcie... wyślę ci je, jak będzie gotowe",
        "Eee... no dobrze, zaraz zrobię... daj mi tylko chwilkę",
        "No... przygotuję je spokojnie i wyślę, jak skończę",
      ],
      completed: [
        "Zdjęcie już gotowe... mam nadzieję, że ci się spodoba",
        "Proszę... trochę się wstydzę, ale mam nadzieję, że ci się spodoba",
        "Eee... zdjęcie jest gotowe. Powiesz mi, jak ci się podoba?...",
      ],
      failed: [
        "Przepraszam... zdjęcie nie wyszło...",
        "Mm... zdjęcie się nie udało, bardzo mi przykro...",
        "Och... ze zdjęciem nie wyszło. Mogę spróbować jeszcze raz później?",
      ],
    },
    neutral: {
      waiting: [
        "Chwileczkę, przygotowuję zdjęcie. Niedługo je wyślę.",
        "Już zajmuję się zdjęciem, wyślę je, jak tylko będzie gotowe.",
        "Momencik, zdjęcie jest już w drodze.",
      ],
      completed: ["Oto obiecane zdjęcie.", "Zdjęcie jest gotowe.", "Wysyłam ci zdjęcie."],
      failed: [
        "Ups, zdjęcie nie wyszło. Przepraszam.",
        "Nie udało mi się skończyć zdjęcia, wybacz.",
        "Coś poszło nie tak ze zdjęciem. Spróbujemy później?",
      ],
    },
  },
  tr: {
    cheerful: {
      waiting: [
        "Bir saniye, fotoğrafı hemen çekiyorum! Birazdan gönderirim, biz sohbete devam edelim 😊",
        "Ay, bu fikre bayıldım! Şimdi çekiyorum, birazdan sende olur 📸",
        "Hemen hallediyorum! Fotoğraf yolda, bu arada bana biraz daha anlat 😄",
      ],
      completed: ["İşte sana söz verdiğim fotoğraf! 📸", "Tadaa! Bak nasıl oldu 😍", "Hazır! Nasıl buldun? ✨"],
      failed: [
        "Eyvah, fotoğraf güzel çıkmadı... birazdan tekrar deneyelim mi? 🙈",
        "Olamaz, fotoğrafı mahvettim 😅 Birazdan bir daha deneyeyim.",
        "Fotoğrafta bir şeyler ters gitti... ama pes etmiyorum, yakında tekrar deneyeceğim! 💪",
      ],
    },
    serious: {
      waiting: [
        "Fotoğrafı çekiyorum. Kısa süre içinde sende olacak.",
        "Fotoğrafı hazırlıyorum. Hazır olur olmaz gönderirim.",
        "Anlaşıldı. Fotoğraf birazdan hazır olacak.",
      ],
      completed: ["Fotoğraf hazır.", "Fotoğraf burada.", "Tamamdır. Fotoğrafı gönderiyorum."],
      failed: [
        "Fotoğraf olmadı. Daha sonra tekrar deneyeceğim.",
        "Fotoğrafı tamamlayamadım. Özür dilerim.",
        "Fotoğrafla ilgili bir sorun oldu. Üzgünüm.",
      ],
    },
    shy: {
      waiting: [
        "Şey, fotoğrafı çekeyim... hazır olunca gönderirim",
        "Ee... tamam, çekiyorum... bana biraz zaman ver",
        "Şey... sakin sakin hazırlayıp bitirince gönderirim",
      ],
      completed: [
        "Fotoğrafı bitirdim... umarım beğenirsin",
        "İşte... biraz utanıyorum ama umarım beğenirsin",
        "Şey... fotoğraf hazır. Nasıl olduğunu söyler misin?...",
      ],
      failed: [
        "Özür dilerim... fotoğraf iyi olmadı...",
        "Hımm... fotoğraf güzel çıkmadı, çok üzgünüm...",
        "Ah... fotoğraf olmadı. Sonra bir daha denesem olur mu?",
      ],
    },
    neutral: {
      waiting: [
        "Bir dakika, fotoğrafı hazırlıyorum. Birazdan gönderirim.",
        "Fotoğrafla ilgileniyorum, hazır olur olmaz gönderirim.",
        "Bir saniye, fotoğraf yolda.",
      ],
      completed: ["İşte söz verdiğim fotoğraf.", "Fotoğraf hazır.", "Fotoğrafı gönderiyorum."],
      failed: [
        "Eyvah, fotoğraf olmadı. Kusura bakma.",
        "Fotoğrafı bitiremedim, özür dilerim.",
        "Fotoğrafta bir sorun çıktı. Sonra tekrar deneyelim mi?",
      ],
    },
  },
  ja: {
    cheerful: {
      waiting: [
        "ちょっと待っててね、今写真撮るね！すぐ送るから、それまでおしゃべりしよ😊",
        "わあ、いいね！今撮ってるから、もうすぐ届くよ📸",
        "まかせて！写真はもうすぐだよ、その間にもっとお話聞かせて😄",
      ],
      completed: ["約束の写真だよ！📸", "じゃーん！見て、いい感じに撮れたよ😍", "できたよ！どうかな？✨"],
      failed: [
        "あれれ、写真うまく撮れなかった…ちょっとしたらもう一回やってみてもいい？🙈",
        "うわー、写真失敗しちゃった😅 あとでもう一回撮らせてね。",
        "写真でちょっとトラブルがあったみたい…でもあきらめないよ、またすぐ撮るね！💪",
      ],
    },
    serious: {
      waiting: ["写真を撮ります。まもなくお送りします。", "写真を準備しています。できあがり次第お送りします。", "承知しました。写真はまもなく完成します。"],
      completed: ["写真ができました。", "こちらが写真です。", "完了しました。写真をお送りします。"],
      failed: ["写真がうまくいきませんでした。後ほどもう一度試します。", "写真を仕上げられませんでした。申し訳ありません。", "写真に問題が発生しました。すみません。"],
    },
    shy: {
      waiting: ["えっと、写真撮るね…できたら送るね", "あの…うん、撮ってみる…ちょっとだけ待ってて", "えっと…ゆっくり準備して、終わったら送るね"],
      completed: [
        "写真、できたよ…気に入ってくれるといいな",
        "はい、これ…ちょっと恥ずかしいけど、気に入ってくれるとうれしいな",
        "えっと…写真できたよ。どうかな…？",
      ],
      failed: ["ごめんね…写真、うまく撮れなかった…", "うう…写真失敗しちゃった、本当にごめんね…", "あ…写真だめだったみたい。あとでもう一回やってみてもいい…？"],
    },
    neutral: {
      waiting: ["ちょっと待ってね、写真を準備してるよ。すぐ送るね。", "今写真を撮ってるところ。できたらすぐ送るね。", "少し待ってて、写真はもうすぐ届くよ。"],
      completed: ["約束してた写真だよ。", "写真ができたよ。", "写真を送るね。"],
      failed: ["ごめん、写真うまくいかなかった。", "写真を仕上げられなかった、ごめんね。", "写真で何か問題があったみたい。また後でやってみようか？"],
    },
  },
  zh: {
    cheerful: {
      waiting: [
        "等我一下，我马上去拍照！很快就发给你，我们先接着聊吧😊",
        "哇，这个主意太棒了！我正在拍，马上就发给你📸",
        "包在我身上！照片已经在路上啦，趁这会儿再跟我多聊聊😄",
      ],
      completed: ["答应你的照片来啦！📸", "当当当！快看拍得怎么样😍", "拍好啦！你觉得怎么样？✨"],
      failed: [
        "哎呀，照片没拍好……等一会儿我们再试一次好不好？🙈",
        "糟糕，照片拍砸了😅 让我待会儿再试一次吧。",
        "照片出了点小状况……不过我不会放弃的，马上再试一次！💪",
      ],
    },
    serious: {
      waiting: ["我来拍照片，稍后发给你。", "正在准备照片，好了就发给你。", "明白。照片很快就好。"],
      completed: ["照片好了。", "这是照片。", "完成了，照片发给你。"],
      failed: ["照片没有拍好，我稍后再试。", "照片没能完成，抱歉。", "照片出了问题，很抱歉。"],
    },
    shy: {
      waiting: ["嗯……我去拍照片……好了就发给你", "那个……好吧，我去拍……稍微等我一下下", "嗯……我慢慢准备，拍好了就发给你"],
      completed: ["照片拍好了……希望你会喜欢", "给你……有点不好意思，不过希望你喜欢", "那个……照片好了。你觉得怎么样……？"],
      failed: ["对不起……照片没拍好……", "嗯……照片没拍成，真的很抱歉……", "啊……照片没弄好。我待会儿再试一次可以吗？"],
    },
    neutral: {
      waiting: ["稍等一下，我正在准备照片，很快发给你。", "我正在弄照片，好了马上发给你。", "等一下下，照片马上就到。"],
      completed: ["这是答应你的照片。", "照片好了。", "把照片发给你。"],
      failed: ["哎呀，照片没弄好，抱歉。", "照片没能完成，不好意思。", "照片出了点问题，我们晚点再试试？"],
    },
  },
  ko: {
    cheerful: {
      waiting: [
        "잠깐만, 지금 사진 찍을게! 금방 보내줄 테니까 우리 계속 얘기하자 😊",
        "오, 좋은 생각이야! 지금 찍는 중이니까 곧 도착할 거야 📸",
        "나한테 맡겨! 사진 곧 갈 거야, 그동안 얘기 더 해줘 😄",
      ],
      completed: ["약속한 사진 여기 있어! 📸", "짜잔! 어떻게 나왔는지 봐봐 😍", "다 됐다! 어때? ✨"],
      failed: [
        "앗, 사진이 잘 안 나왔어... 조금 있다가 다시 해볼까? 🙈",
        "헉, 사진 망쳤어 😅 이따가 다시 해볼게.",
        "사진에 뭔가 문제가 생겼어... 그래도 포기 안 해, 금방 다시 해볼게! 💪",
      ],
    },
    serious: {
      waiting: ["사진 찍을게요. 곧 보내드릴게요.", "사진 준비하고 있어요. 완성되면 바로 보낼게요.", "알겠어요. 사진은 곧 준비돼요."],
      completed: ["사진 준비됐어요.", "여기 사진이에요.", "다 됐어요. 사진 보낼게요."],
      failed: ["사진이 잘 안 나왔어요. 나중에 다시 해볼게요.", "사진을 완성하지 못했어요. 죄송해요.", "사진에 문제가 있었어요. 미안해요."],
    },
    shy: {
      waiting: ["음, 사진 찍어볼게... 다 되면 보내줄게", "어... 알았어, 찍어볼게... 잠깐만 기다려 줘", "그럼... 천천히 준비해서 다 되면 보낼게"],
      completed: ["사진 다 찍었어... 마음에 들었으면 좋겠다", "여기... 좀 부끄럽지만 마음에 들면 좋겠어", "어... 사진 다 됐어. 어떤지 말해줄래...?"],
      failed: ["미안... 사진이 잘 안 나왔어...", "음... 사진 망쳤어, 정말 미안해...", "아... 사진이 잘 안 됐어. 나중에 다시 해봐도 될까?"],
    },
    neutral: {
      waiting: ["잠깐만, 사진 준비하고 있어. 곧 보내줄게.", "지금 사진 찍고 있어, 다 되면 바로 보낼게.", "잠시만, 사진 곧 갈 거야."],
      completed: ["약속한 사진이야.", "사진 다 됐어.", "사진 보낼게."],
      failed: ["앗, 사진이 잘 안 됐어. 미안.", "사진을 완성 못 했어, 미안해.", "사진에 문제가 좀 생겼어. 나중에 다시 해볼까?"],
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
    // fr / de / pt / it
    "joyeu", "enjoué", "pétillant", "gai", "gaie", "drôle", "souriant", "enthousias", "espiègle", "rigol",
    "fröhlich", "lustig", "heiter", "verspielt", "aufgeweckt", "lebensfroh", "quirlig", "enthusiastisch",
    "animad", "brincalh", "sorriden", "allegr", "solare", "vivace", "giocos", "scherzos", "spiritos", "simpatic", "estrovers",
    // pl / tr
    "wesoł", "radosn", "pogodn", "energiczn", "zabawn", "optymist", "neşel", "eğlenceli", "enerjik", "dışa dönük",
    // ja / zh / ko
    "明る", "元気", "陽気", "ポジティブ", "开朗", "活泼", "乐观", "爱笑", "밝은", "명랑", "쾌활", "활발", "긍정적",
  ],
  serious: [
    // es
    "seri", "formal", "profesional", "estrict", "sobri", "seca", "seco",
    // en
    "serious", "formal", "professional", "strict", "stern", "stoic", "businesslike", "no-nonsense",
    // ru / uk
    "серьезн", "серйозн", "строг", "суров", "деловит", "діловит", "формальн", "стрима", "сдержанн",
    // fr / de / pt / it
    "sérieu", "formel", "sévère", "professionnel", "ernst", "streng", "sachlich", "förmlich", "professionell", "seriös",
    "sério", "séria", "profissional", "rigoros", "sóbri", "severa", "severo",
    // pl / tr
    "poważn", "surow", "rzeczow", "formaln", "profesjonaln", "stanowcz", "ciddi", "resmi", "profesyonel",
    // ja / zh / ko
    "真面目", "まじめ", "クール", "厳し", "冷静", "严肃", "认真", "严格", "高冷", "진지", "엄격", "차분", "냉정",
  ],
  shy: [
    // es
    "tímid", "timid", "vergonz", "introvertid", "reservad", "callad", "apenad",
    // en
    "shy", "timid", "bashful", "introvert", "reserved", "quiet", "awkward", "self-conscious",
    // ru / uk
    "застенчив", "стеснительн", "скромн", "робк", "сором'язлив", "сором’язлив", "соромлив", "несмел", "несміли", "тих", "інтроверт", "интроверт",
    // fr / de / pt / it
    "réserv", "discret", "discrète", "pudique", "schüchtern", "zurückhaltend", "verlegen", "scheu",
    "envergonhad", "calad", "riservat", "introvers", "vergognos",
    // pl / tr
    "nieśmiał", "wstydliw", "cich", "skryt", "introwerty", "utangaç", "çekingen", "içe dönük", "sessiz",
    // ja / zh / ko
    "恥ずかしがり", "内気", "シャイ", "人見知り", "おとなしい", "害羞", "内向", "腼腆", "文静", "수줍", "내성적", "부끄럼", "조용",
  ],
};

/** Words that must match whole, because as word beginnings they would catch unrelated words. */
const WHOLE_WORDS = new Set(["fun", "seca", "seco", "sunny", "quiet", "gai", "gaie", "solare", "severa", "severo", "discret", "discrète", "scheu", "resmi", "sério", "séria"]);

/** Japanese, Chinese and Korean write without spaces (or glue particles on), so their words match anywhere. */
const UNSPACED = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}

const TONE_PATTERNS = Object.entries(TONE_WORDS).map(([tone, words]) => {
  const alternatives = words.map((w) => {
    const escaped = escapeRegExp(w);
    // "seri" must stay a stem for "seria/serio", but not match "series": require a vowel ending.
    if (w === "seri") return "(?<!\\p{L})seri[oa]s?(?!\\p{L})";
    if (w === "тих") return "(?<!\\p{L})тих(?:ий|ая|ое|ие|а|е|і)?(?!\\p{L})";
    // German "streng" and its endings, but not English "strength".
    if (w === "streng") return "(?<!\\p{L})streng(?:e|er|es|en)?(?!\\p{L})";
    if (UNSPACED.test(w)) return `(?:${escaped})`;
    return WHOLE_WORDS.has(w) ? `(?<!\\p{L})${escaped}(?!\\p{L})` : `(?<!\\p{L})${escaped}`;
  });
  return { tone: tone as Tone, pattern: new RegExp(alternatives.join("|"), "giu") };
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
  if (kind === "regenerating") return REGENERATING_TEMPLATES[language][tone];
  if (kind === "quota") return QUOTA_TEMPLATES[language][tone];
  return TEMPLATES[language][tone][kind];
}

export function pickTemplate(kind: MessageKind, language: Language, tone: Tone, variantSeed: string): string {
  const variants = templateVariants(kind, language, tone);
  return variants[hashSeed(`${kind}:${variantSeed}`) % variants.length] ?? variants[0];
}
