/** What the chat sees: the persona speaking, and the messages darkroom writes for it. */
import type { Language } from "../lib/language";

/** The character in the conversation; `id` names a persona file with its own look. */
export interface Persona {
  id?: string;
  name: string;
  personality: string;
  language?: string;
}

/** `refused`: the persona declines a photo the content policy stopped (sent instead of a waiting message). */
export type MessageKind = "text" | "waiting" | "completed" | "failed" | "refused";

export interface ChatMessage {
  id: string;
  role: "assistant";
  kind: MessageKind;
  content: string;
  createdAt: string;
  metadata?: { multimedia: MultimediaItem[] } | null;
}

export interface MultimediaItem {
  type: "image";
  imageId: string;
  url: string;
  thumbnailUrl: string;
  width: number;
  height: number;
}

export type { Language };
