/**
 * The language of companion photo messages on the real stack (Temporal, PostgreSQL, the ComfyUI
 * simulator, the API over a socket): a chat that says nothing about its language is answered in
 * the language it is written in, or else in the persona file's language.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { templateVariants } from "../activities/llm/templates";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

describe("companion photo messages speak the chat's language", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ stepMs: 20, steps: 3 });
  });
  afterAll(() => stack?.stop());

  test("a French reply gets a French waiting message, then a French completion message", async () => {
    const camille = { name: "Camille", personality: "Joyeuse et pétillante" };
    const reply = await stack.request("POST", "/v1/agents/camille/replies", {
      userId: "u-fr",
      text: "Bien sûr, je t'envoie ça [IMAGE: selfie à la plage]",
      persona: camille,
    });
    expect(reply.status).toBe(200);
    expect(reply.body.text).toBe("Bien sûr, je t'envoie ça");
    const waiting = reply.body.messages.find((m: { kind: string }) => m.kind === "waiting");
    expect(templateVariants("waiting", "fr", "cheerful")).toContain(waiting.content);

    const id = reply.body.generations[0].id;
    const completed = await eventually(async () => {
      const res = await stack.request("GET", "/v1/agents/camille/pending-images?userId=u-fr");
      return res.body.completed.find((c: { id: string }) => c.id === id);
    }, "the French photo to complete");
    expect(completed.status).toBe("completed");
    expect(templateVariants("completed", "fr", "cheerful")).toContain(completed.completedMessage.content);
  });

  test("a persona file's language answers when the reply itself gives nothing away", async () => {
    // LINA's file says Russian; the request declares no language.
    const lina = { id: "LINA", name: "Лина", personality: "shy" };
    const silent = await stack.request("POST", "/v1/agents/lina/replies", { userId: "u-lina", text: "😊 [IMAGE: selfie]", persona: lina });
    expect(silent.status).toBe(200);
    const russian = silent.body.messages.find((m: { kind: string }) => m.kind === "waiting");
    expect(templateVariants("waiting", "ru", "shy")).toContain(russian.content);

    // What the chat is written in still comes before the persona file.
    const german = await stack.request("POST", "/v1/agents/lina/replies", {
      userId: "u-lina",
      text: "Na klar, ich schicke dir gleich ein Foto! [IMAGE: Selfie am Strand]",
      persona: lina,
    });
    const waiting = german.body.messages.find((m: { kind: string }) => m.kind === "waiting");
    expect(templateVariants("waiting", "de", "shy")).toContain(waiting.content);
  });
});
