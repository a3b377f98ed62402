/**
 * Finds `[IMAGE: description]` requests in a companion's reply and removes them,
 * so the chat can show the words at once while the picture is made in the background.
 *
 * Rules (LLM output is messy, so the parser is forgiving but predictable):
 * - The tag name is `IMAGE`, any case, with optional spaces: `[ image : ... ]`.
 *   `[IMAGE]` (no description) is an empty tag. Other names (`[PHOTO: ...]`, `[IMAGES: ...]`) are plain text.
 * - Brackets inside the description nest: `[IMAGE: me in a [red] dress]` is one tag.
 * - A tag left open at the end of the text (a truncated completion) runs to the end and is removed.
 * - An empty description is not an image request, but its tag is still removed from the text.
 * - Descriptions are whitespace-collapsed and cut to `maxDescription` code points (never half an emoji).
 * - Tags beyond `maxTags` are removed from the text and ignored: one reply must not fan out into a
 *   flood of GPU jobs, and leaving raw tags in the chat would look broken.
 * - A reply without any tag comes back byte-identical; with tags, the text around each removed tag
 *   is tidied (no double spaces, no space before punctuation) and the whole is trimmed.
 */

export interface ImageTag {
  description: string;
  /** UTF-16 offset in the original text where the tag begins (its `[`). */
  start: number;
  /** UTF-16 offset just past the tag's closing `]` (or the text's end for an unclosed tag). */
  end: number;
}

export interface ParseImageTagsOptions {
  maxTags?: number;
  maxDescription?: number;
}

export const DEFAULT_MAX_TAGS = 4;
export const DEFAULT_MAX_DESCRIPTION = 1000;

/** `[`, optional spaces, IMAGE, optional spaces, then `:` (ASCII or full-width) or `]`. */
const TAG_OPENING = /\[\s*image\s*([:：\]])/giu;

interface TagSpan {
  start: number;
  end: number;
  rawDescription: string;
}

function findTagSpans(text: string): TagSpan[] {
  const spans: TagSpan[] = [];
  TAG_OPENING.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = TAG_OPENING.exec(text)) !== null) {
    const start = match.index;
    const afterOpening = start + match[0].length;
    if (match[1] === "]") {
      spans.push({ start, end: afterOpening, rawDescription: "" });
      continue;
    }
    // Balanced scan: the tag's own `[` is depth 1; nested pairs inside the description go deeper.
    let depth = 1;
    let end = text.length;
    let descriptionEnd = text.length;
    for (let i = afterOpening; i < text.length; i++) {
      const ch = text[i];
      if (ch === "[") depth++;
      else if (ch === "]" && --depth === 0) {
        descriptionEnd = i;
        end = i + 1;
        break;
      }
    }
    spans.push({ start, end, rawDescription: text.slice(afterOpening, descriptionEnd) });
    TAG_OPENING.lastIndex = end;
  }
  return spans;
}

function cleanDescription(raw: string, maxCodePoints: number): string {
  const collapsed = raw.replace(/\s+/gu, " ").trim();
  const codePoints = Array.from(collapsed);
  if (codePoints.length <= maxCodePoints) return collapsed;
  return codePoints.slice(0, maxCodePoints).join("").trimEnd();
}

const HORIZONTAL_SPACE_AT_END = /[^\S\n]+$/u;
const HORIZONTAL_SPACE_AT_START = /^[^\S\n]+/u;
/** Characters that never take a space before them in the languages we serve. */
const CLOSING_PUNCTUATION = /^[.,!?;:…)\]}»”’%]/u;
/** Characters that never take a space after them. */
const OPENING_PUNCTUATION = /[(\[{«“‘¡¿]$/u;

/** Joins the text on both sides of a removed tag so the seam reads naturally. */
function joinAtSeam(left: string, right: string): string {
  const l = left.replace(HORIZONTAL_SPACE_AT_END, "");
  const r = right.replace(HORIZONTAL_SPACE_AT_START, "");
  if (l === "" || r === "") return l + r;
  const breaks = (/\n*$/u.exec(l)?.[0].length ?? 0) + (/^\n*/u.exec(r)?.[0].length ?? 0);
  if (breaks > 0) {
    // Removing a tag that sat on its own line must not leave a tall gap: at most one blank line.
    const seam = breaks >= 2 ? "\n\n" : "\n";
    return l.replace(/\n+$/u, "") + seam + r.replace(/^\n+/u, "");
  }
  if (CLOSING_PUNCTUATION.test(r) || OPENING_PUNCTUATION.test(l)) return l + r;
  return `${l} ${r}`;
}

export function parseImageTags(text: string, opts: ParseImageTagsOptions = {}): { text: string; tags: ImageTag[] } {
  const maxTags = opts.maxTags ?? DEFAULT_MAX_TAGS;
  const maxDescription = opts.maxDescription ?? DEFAULT_MAX_DESCRIPTION;
  const spans = findTagSpans(text);
  if (spans.length === 0) return { text, tags: [] };

  const tags: ImageTag[] = [];
  // The text between tags; every boundary between two pieces is where a tag was removed.
  const pieces: string[] = [];
  let cursor = 0;
  for (const span of spans) {
    pieces.push(text.slice(cursor, span.start));
    cursor = span.end;
    const description = cleanDescription(span.rawDescription, maxDescription);
    if (description !== "" && tags.length < maxTags) tags.push({ description, start: span.start, end: span.end });
  }
  pieces.push(text.slice(cursor));

  const tidy = pieces.reduce(joinAtSeam);
  return { text: tidy.trim(), tags };
}
