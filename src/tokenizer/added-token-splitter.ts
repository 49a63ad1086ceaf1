import { WHITE_SPACE_CLASS } from './byte-level-split.js';

/** An added token as the splitter matches it (Hugging Face `AddedToken`). */
export interface AddedTokenPattern {
  id: number;
  /** The text to find; for `normalized` tokens, the normalizer's output for the content. */
  content: string;
  /** Also swallow the whitespace on its left / right. */
  lstrip: boolean;
  rstrip: boolean;
  /** Match only when not glued to a word character on either side. */
  singleWord: boolean;
}

/** Rust regex `\w` (Unicode): what `single_word` tokens must not touch. */
const WORD_CHAR = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
/** One White_Space character (all are in the BMP, so one UTF-16 unit). */
const SPACE_CHAR = new RegExp(`^[${WHITE_SPACE_CLASS}]$`);

/**
 * Finds added tokens in text before BPE runs, like Hugging Face's AddedVocabulary: leftmost-longest
 * matching (an alternation sorted longest-first gives exactly that), then the single_word / lstrip /
 * rstrip rules of `find_matches` in tokenizers/src/tokenizer/added_vocabulary.rs.
 */
export class AddedTokenSplitter {
  private readonly regex: RegExp | undefined;
  private readonly byContent = new Map<string, AddedTokenPattern>();
  private readonly hasOptions: boolean;

  constructor(patterns: readonly AddedTokenPattern[]) {
    for (const p of patterns) {
      if (p.content !== '' && !this.byContent.has(p.content)) this.byContent.set(p.content, p);
    }
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length);
    this.regex = contents.length === 0 ? undefined : new RegExp(contents.map(escapeRegExp).join('|'), 'g');
    this.hasOptions = patterns.some((p) => p.lstrip || p.rstrip || p.singleWord);
  }

  get isEmpty(): boolean {
    return this.regex === undefined;
  }

  /** Calls `onText` for each stretch of plain text and `onToken` for each added token, in order. */
  split(text: string, onText: (piece: string) => void, onToken: (id: number) => void): void {
    const regex = this.regex;
    if (regex === undefined) {
      if (text !== '') onText(text);
      return;
    }
    let consumed = 0;
    regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(text)) !== null) {
      let start = match.index;
      let stop = start + match[0].length;
      const token = this.byContent.get(match[0]) as AddedTokenPattern;
      if (this.hasOptions) {
        if (token.singleWord && !isSingleWord(text, start, stop)) continue;
        if (token.lstrip) {
          while (start > consumed && SPACE_CHAR.test(text[start - 1])) start--;
        }
        if (token.rstrip) {
          while (stop < text.length && SPACE_CHAR.test(text[stop])) stop++;
          regex.lastIndex = stop;
        }
      }
      if (consumed < start) onText(text.slice(consumed, start));
      onToken(token.id);
      consumed = stop;
    }
    if (consumed < text.length) onText(consumed === 0 ? text : text.slice(consumed));
  }
}

function isSingleWord(text: string, start: number, stop: number): boolean {
  if (start > 0) {
    const before = String.fromCodePoint(codePointBefore(text, start));
    if (WORD_CHAR.test(before)) return false;
  }
  if (stop < text.length) {
    const after = String.fromCodePoint(text.codePointAt(stop) as number);
    if (WORD_CHAR.test(after)) return false;
  }
  return true;
}

function codePointBefore(text: string, index: number): number {
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(index - 2) as number;
  }
  return low;
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
