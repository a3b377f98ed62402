/**
 * The prompt of a chat-triggered picture: what the persona would photograph right now, given the
 * last messages of the dialog. With an LLM configured it writes the scene within the budget;
 * without one (or when it is slow or odd) the last user message is the scene, as in the seed. The
 * persona's appearance comes first and its style last, so every picture looks like the persona.
 */
import type { PrismaClient } from "../lib/db/generated/client";
import type { PersonaCatalog } from "./personas";
import type { AskLlm } from "./imagePrompt";

/** How much of the conversation the prompt looks at. */
const RECENT_MESSAGES = 8;
const MAX_SCENE_CHARS = 400;

export function createChatImagePromptActivities(deps: { prisma: PrismaClient; personas: PersonaCatalog; askLlm?: AskLlm; budgetMs: number }) {
  return {
    async buildChatImagePrompt(input: { generationId: string }): Promise<string> {
      const g = await deps.prisma.generation.findUniqueOrThrow({ where: { id: input.generationId } });
      const personaId = (g.persona as { id?: string } | null)?.id ?? "";
      const persona = deps.personas.find(personaId);
      if (!persona) throw new Error(`Persona "${personaId}" of generation ${g.id} is no longer in ${deps.personas.dir}`);
      // "Take another one" means the same picture idea with a new seed: the original's prompt as it
      // was, even when an LLM wrote it (a second LLM answer would be another idea).
      const original = g.regeneratedFrom
        ? await deps.prisma.generation.findUnique({ where: { id: g.regeneratedFrom }, select: { prompt: true, description: true } })
        : null;
      if (original?.prompt) {
        await deps.prisma.generation.update({ where: { id: g.id }, data: { prompt: original.prompt, description: original.description } });
        return original.prompt;
      }
      const dialog = await deps.prisma.dialog.findUnique({ where: { tenantId_dialogId: { tenantId: g.tenantId, dialogId: g.dialogId ?? "" } } });
      const recent = dialog
        ? (
            await deps.prisma.dialogMessage.findMany({
              where: { dialogPk: dialog.id, number: { lte: g.messageNumber ?? Number.MAX_SAFE_INTEGER } },
              orderBy: { number: "desc" },
              take: RECENT_MESSAGES,
            })
          ).reverse()
        : [];

      const lastUser = [...recent].reverse().find((m) => m.role === "user") ?? recent.at(-1);
      let scene = clean(lastUser?.text ?? g.description);
      if (deps.askLlm && recent.length > 0) {
        const transcript = recent.map((m) => `${m.role === "user" ? "User" : persona.name}: ${m.text}`).join("\n");
        const answer = await deps
          .askLlm(
            "You write the scene for a text-to-image model: the photo a chat character would send right now. " +
              "Answer with one English phrase of at most 40 words: what is in the picture, setting, mood. " +
              "Safe for work. No quotes, no explanations, do not describe the character's looks.",
            `Character: ${persona.name} (${persona.personality}).\nConversation:\n${transcript}`,
            deps.budgetMs,
          )
          .catch(() => undefined);
        const written = answer ? clean(answer) : "";
        if (written) scene = written;
      }
      const prompt = [persona.appearance, scene, persona.style].filter(Boolean).join(", ");
      await deps.prisma.generation.update({ where: { id: g.id }, data: { prompt, description: scene || g.description } });
      return prompt;
    },
  };
}

function clean(text: string): string {
  return text.replace(/\[IMAGE:[^\]]*\]/gi, " ").replace(/\s+/g, " ").trim().slice(0, MAX_SCENE_CHARS);
}
