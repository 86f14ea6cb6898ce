// What the documentation tests read of a Markdown file: its headings, the anchors
// GitHub gives them, its links and its fenced code blocks. Text in code (fenced
// blocks, `inline spans`) is neither a heading nor a link.

export interface Heading {
  readonly level: number;
  readonly text: string;
  /** 1-based line number in the file. */
  readonly line: number;
}

export interface Link {
  readonly target: string;
  readonly line: number;
}

export interface CodeBlock {
  readonly info: string;
  readonly body: string;
  /** 1-based line number of the opening fence. */
  readonly line: number;
}

/**
 * One pass over the file: its lines outside fenced code blocks, and the blocks. A block
 * closes on a fence of its own character, at least as long, with nothing after it.
 */
function split(markdown: string): { prose: { text: string; line: number }[]; blocks: CodeBlock[] } {
  const prose: { text: string; line: number }[] = [];
  const blocks: CodeBlock[] = [];
  let open: { fence: string; info: string; line: number; body: string[] } | undefined;
  markdown.split('\n').forEach((text, index) => {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(text);
    if (open === undefined) {
      if (match?.[1] !== undefined)
        open = { fence: match[1], info: (match[2] ?? '').trim(), line: index + 1, body: [] };
      else prose.push({ text, line: index + 1 });
    } else if (match?.[1]?.startsWith(open.fence) && (match[2] ?? '').trim() === '') {
      blocks.push({ info: open.info, body: open.body.join('\n'), line: open.line });
      open = undefined;
    } else open.body.push(text);
  });
  return { prose, blocks };
}

/** The fenced code blocks, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  return split(markdown).blocks;
}

/** The ATX headings (`## Text`), outside code blocks. */
export function headings(markdown: string): Heading[] {
  return split(markdown).prose.flatMap(({ text, line }) => {
    const match = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(text);
    return match?.[1] === undefined ? [] : [{ level: match[1].length, text: match[2] ?? '', line }];
  });
}

/**
 * A heading's anchor as GitHub makes it: the rendered text (code spans, links and
 * `_emphasis_` reduced to their text; `*` goes with the punctuation), lower-cased, every character that is not a
 * letter, mark, number, connector (`_`), space or hyphen dropped, spaces made hyphens.
 */
export function slug(headingText: string): string {
  const rendered = headingText
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(?<![\p{L}\p{N}])_{1,3}(\S(?:.*?\S)?)_{1,3}(?![\p{L}\p{N}])/gu, '$1');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a file: a heading's slug, the second of a kind `-1`, the third `-2`. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const taken = new Set<string>();
  for (const heading of headings(markdown)) {
    const base = slug(heading.text);
    let anchor = base;
    let count = seen.get(base) ?? 0;
    while (taken.has(anchor)) anchor = `${base}-${++count}`;
    seen.set(base, count);
    taken.add(anchor);
  }
  return taken;
}

/** Every inline link and image (`[text](target)`) and link definition, outside code. */
export function links(markdown: string): Link[] {
  return split(markdown).prose.flatMap(({ text, line }) => {
    const prose = text.replace(/(`+)[^`]*?\1/g, '');
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(prose)?.[1];
    if (definition !== undefined) return [{ target: definition, line }];
    return [...prose.matchAll(/\]\(\s*<?([^\s)>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => ({
      target: match[1] ?? '',
      line,
    }));
  });
}
