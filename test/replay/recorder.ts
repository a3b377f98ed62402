/** What the recorders of companion-photo histories share: the persona, a photo reply, waiting for its end. */
import { eventually, type Stack } from "../support/stack";

export const SOFIA = { name: "Sofia", personality: "alegre", language: "es" };

/** The generation once it has ended (completed, failed or cancelled). */
export async function finish(stack: Stack, id: string) {
  return eventually(async () => {
    const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
    return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
  }, `generation ${id}`);
}

/** A chat reply from Sofia with one `[IMAGE: …]` tag; its generation. */
export async function photoReply(stack: Stack, userId: string, text = "¡Dale! [IMAGE: selfie en la playa]") {
  const res = await stack.request("POST", "/v1/agents/sofia/replies", { userId, text, persona: SOFIA });
  return res.body.generations[0] as { id: string; workflowId: string };
}
