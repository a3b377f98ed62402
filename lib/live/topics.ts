/**
 * What a live client may follow: `agent:<id>`, `user:<id>`, `dialog:<id>`, `generation:<id>` (the
 * raw image events) and `task:<id>` (the same generation, as task updates). A topic only
 * ever matches events of the subscriber's own tenant.
 */
import type { Prisma } from "../db/generated/client";
import type { LogEvent } from "./eventHub";

export const TOPIC_KINDS = ["agent", "user", "dialog", "generation", "task"] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

export interface Topic {
  kind: TopicKind;
  id: string;
}

const TOPIC = /^(agent|user|dialog|generation|task):([A-Za-z0-9._:@-]{1,200})$/;

export function parseTopic(raw: unknown): Topic | undefined {
  if (typeof raw !== "string") return undefined;
  const m = TOPIC.exec(raw);
  return m ? { kind: m[1] as TopicKind, id: m[2]! } : undefined;
}

export const topicKey = (t: Topic) => `${t.kind}:${t.id}`;

/** The event column a topic filters on; a task is its generation. */
function column(kind: TopicKind): "agentId" | "userId" | "dialogId" | "generationId" {
  switch (kind) {
    case "agent":
      return "agentId";
    case "user":
      return "userId";
    case "dialog":
      return "dialogId";
    default:
      return "generationId";
  }
}

export function topicMatches(topic: Topic, tenantId: string, e: LogEvent): boolean {
  return e.tenantId === tenantId && e[column(topic.kind)] === topic.id;
}

export function topicWhere(topic: Topic, tenantId: string): Prisma.EventWhereInput {
  return { tenantId, [column(topic.kind)]: topic.id };
}
