import { describe, expect, test } from "bun:test";
import { parseImageTags } from "../lib/imageTags";

describe("parseImageTags", () => {
  test("removes the tag and returns its description", () => {
    const reply = "¡Dale! [IMAGE: selfie mía en la playa al atardecer]";
    const { text, tags } = parseImageTags(reply);
    expect(text).toBe("¡Dale!");
    expect(tags).toEqual([{ description: "selfie mía en la playa al atardecer", start: 7, end: reply.length }]);
    expect(reply.slice(tags[0]!.start, tags[0]!.end)).toBe("[IMAGE: selfie mía en la playa al atardecer]");
  });

  test("a reply without tags comes back byte-identical", () => {
    const reply = "  Hola,  ¿cómo estás?\n\n[PHOTO: not a tag] [IMAGES: nor this] [img: nope]  ";
    const result = parseImageTags(reply);
    expect(result.text).toBe(reply);
    expect(result.tags).toEqual([]);
  });

  test("tag name in any case, with spaces, several tags, text tidied between them", () => {
    const { text, tags } = parseImageTags("Mira [image: un gato] y también [ Image :un perro ] , ¿te gustan? [IMAGE:flores]");
    expect(tags.map((t) => t.description)).toEqual(["un gato", "un perro", "flores"]);
    expect(text).toBe("Mira y también, ¿te gustan?");
  });

  test("brackets inside the description stay balanced", () => {
    const { text, tags } = parseImageTags("Ok! [IMAGE: me in a [red] dress [with [gold] buttons]] see you");
    expect(tags.map((t) => t.description)).toEqual(["me in a [red] dress [with [gold] buttons]"]);
    expect(text).toBe("Ok! see you");
  });

  test("an unclosed tag at the end (truncated completion) runs to the end and is removed", () => {
    const reply = "Sure thing! [IMAGE: me at the beach, golden hour, wearing a";
    const { text, tags } = parseImageTags(reply);
    expect(text).toBe("Sure thing!");
    expect(tags).toEqual([{ description: "me at the beach, golden hour, wearing a", start: 12, end: reply.length }]);
  });

  test("an empty description is not an image but the tag is still removed", () => {
    const { text, tags } = parseImageTags("Hmm [IMAGE:   ] wait [IMAGE] ok.");
    expect(tags).toEqual([]);
    expect(text).toBe("Hmm wait ok.");
  });

  test("very long descriptions are whitespace-collapsed and cut by code points without splitting emoji", () => {
    const long = "😀".repeat(10) + "  a\n\n b\t" + "x".repeat(5000);
    const { tags } = parseImageTags(`[IMAGE: ${long}]`, { maxDescription: 12 });
    expect(tags[0]!.description).toBe("😀".repeat(10) + " a");
    const { tags: defaultTags } = parseImageTags(`[IMAGE: ${"😀".repeat(1500)}]`);
    const description = defaultTags[0]!.description;
    expect(Array.from(description)).toHaveLength(1000);
    expect(description).toBe("😀".repeat(1000));
    const collapsed = parseImageTags("[IMAGE:  a\n\n b\t c  ]").tags[0]!.description;
    expect(collapsed).toBe("a b c");
  });

  test("non-Latin descriptions and text", () => {
    const ru = parseImageTags("Конечно! [IMAGE: селфи на пляже на закате] Держи 😘");
    expect(ru.tags[0]!.description).toBe("селфи на пляже на закате");
    expect(ru.text).toBe("Конечно! Держи 😘");
    const ja = parseImageTags("いいよ！[IMAGE：海辺で自撮り 🌅]");
    expect(ja.tags[0]!.description).toBe("海辺で自撮り 🌅");
    expect(ja.text).toBe("いいよ！");
  });

  test("tags beyond maxTags are removed from the text and ignored", () => {
    const { text, tags } = parseImageTags("a [IMAGE: 1] b [IMAGE: 2] c [IMAGE: 3] d", { maxTags: 2 });
    expect(tags.map((t) => t.description)).toEqual(["1", "2"]);
    expect(text).toBe("a b c d");
  });

  test("a tag on its own line leaves at most one blank line", () => {
    const { text } = parseImageTags("Hola!\n\n[IMAGE: yo]\n\nTe gusta?");
    expect(text).toBe("Hola!\n\nTe gusta?");
    expect(parseImageTags("Line one [IMAGE: x]\nLine two").text).toBe("Line one\nLine two");
  });
});
