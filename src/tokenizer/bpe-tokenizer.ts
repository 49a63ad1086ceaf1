import { TokenizerError } from '../errors.js';
import { AddedTokenSplitter, type AddedTokenPattern } from './added-token-splitter.js';
import { BpeMerger } from './bpe-merger.js';
import { BpeMerges, type MergeColumns } from './bpe-merges.js';
import { BYTE_TO_CHAR, byteLevelDecodeInto, isByteLevel } from './byte-level.js';
import { byteLevelSplitRegex } from './byte-level-split.js';
import type { Normalizer } from './normalizers.js';
import type { SpecialTemplate } from './post-processors.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';
import { encodeUtf8Into, toWellFormed } from './utf8.js';

/** The merge rules of a spec: `at(rank)` is the pair of vocabulary strings merged at that rank. */
export interface MergeList {
  readonly length: number;
  at(rank: number): readonly [string, string] | undefined;
}

/** An added token (Hugging Face `added_tokens[i]`, GGUF CONTROL / USER_DEFINED rows). */
export interface BpeAddedToken extends AddedTokenPattern {
  /** Skipped by decode({skipSpecial}); CONTROL in GGUF. */
  special: boolean;
  /** Matched in normalized text (true) or in the raw input (false). */
  normalized: boolean;
}

/** Everything a byte-level BPE tokenizer is made of, whichever file it came from. */
export interface BpeTokenizerSpec {
  /** Names the source in error messages, e.g. "models/tokenizer.json". */
  sourceName: string;
  /** Ids are 0 .. vocabSize-1. */
  vocabSize: number;
  /** The BPE model's vocabulary: byte-level token string → id. */
  vocab: ReadonlyMap<string, number>;
  /**
   * Merge rules, best first, as pairs of vocabulary strings: an array, or anything that makes the pair of a rank
   * when asked (GGUF splits its "a b" strings one at a time, so 50k pairs never live at once).
   */
  merges: MergeList;
  /** Where the merges came from, for error messages: "model.merges" or "tokenizer.ggml.merges". */
  mergesKey: string;
  addedTokens: readonly BpeAddedToken[];
  normalizer?: Normalizer;
  /** ByteLevel pre-tokenizer: prepend a space to text that does not start with one. */
  addPrefixSpace: boolean;
  /** ByteLevel pre-tokenizer: split with the GPT-2 pattern first (true for every GPT-2-family model). */
  useRegex: boolean;
  /** BPE `unk_token` for characters missing from the vocabulary; without it they are dropped (as in HF). */
  unkToken?: string;
  fuseUnk: boolean;
  /** BPE `ignore_merges`: a pre-token that is itself in the vocabulary is emitted whole. */
  ignoreMerges: boolean;
  /** Tokens that encode(…, {addSpecial: true}) adds. */
  template: SpecialTemplate;
  bosId?: number;
  eosId?: number;
  padId?: number;
  unkId?: number;
  /** Ids that only pad a model's embedding (GGUF UNUSED rows, "[PAD50277]"): they decode to nothing. */
  unusedTokens?: ReadonlyMap<number, string>;
}

/** Words longer than this (in UTF-16 units) are not cached; the cache is cleared when it is full. */
const MAX_CACHED_WORD_LENGTH = 64;
const CACHE_CAPACITY = 1 << 16;

/**
 * Byte-level BPE, matching Hugging Face `tokenizers` id for id:
 *   1. special (non-normalized) added tokens are cut out of the raw text;
 *   2. each remaining piece is normalized (NFC), then normalized added tokens are cut out;
 *   3. each remaining piece is split with the GPT-2 pattern into words;
 *   4. each word's UTF-8 bytes become byte-level symbols, merged by rank (BpeMerger), cached per word.
 */
export class BpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId?: number;
  readonly unkId?: number;
  readonly sourceName: string;

  /** tokenStrings[id]: raw vocabulary string; undefined for ids no token has.  (vocabSize) */
  private readonly tokenStrings: (string | undefined)[];
  /**
   * The bytes of every token, one after another: token id's are tokenBuffer[tokenStart[id], tokenStart[id + 1]).
   * One buffer and one offset table instead of 50k views (~7 MiB of heap for GPT-NeoX).  (vocabSize + 1)
   */
  private readonly tokenBuffer: Uint8Array;
  private readonly tokenStart: Int32Array;
  /** Views of tokenBuffer made by tokenToBytes, kept so that streaming a token again allocates nothing. */
  private readonly tokenViews = new Map<number, Uint8Array>();
  private readonly specialIds: Uint8Array;
  /** What encode needs of the spec (not its merges, which live on in the merger as typed arrays). */
  private readonly spec: Omit<BpeTokenizerSpec, 'merges' | 'vocab' | 'addedTokens' | 'unusedTokens'>;
  /** The vocabulary, kept only for `ignoreMerges` (whole-word lookups). */
  private readonly vocab?: ReadonlyMap<string, number>;
  private readonly rawSplitter: AddedTokenSplitter;
  private readonly normalizedSplitter: AddedTokenSplitter;
  private readonly merger: BpeMerger;
  /** byteSymbol[b]: id of the one-byte token for byte b, or -1.  (256) */
  private readonly byteSymbol = new Int32Array(256);
  private readonly unkSymbol: number;
  private readonly wordRegex = byteLevelSplitRegex();
  private readonly cache = new Map<string, number | number[]>();
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly textEncoder = new TextEncoder();
  /** Scratch for one word: its UTF-8 bytes, then its symbols. Grows on demand. */
  private symbols = new Int32Array(256);
  private wordIds: number[] = [];
  /** Output of the encode() in progress (read by the splitter callbacks). */
  private out: number[] = [];
  private readonly pushAddedToken = (id: number): void => { this.out.push(id); };
  private readonly encodeRawPiece = (piece: string): void => {
    const normalized = this.spec.normalizer === undefined ? piece : this.spec.normalizer(piece);
    this.normalizedSplitter.split(normalized, this.encodePlainText, this.pushAddedToken);
  };
  private readonly encodePlainText = (text: string): void => { this.encodeWords(text); };

  constructor(fullSpec: BpeTokenizerSpec) {
    const { merges: _merges, vocab: _vocab, addedTokens: _added, unusedTokens: _unused, ...spec } = fullSpec;
    this.spec = spec;
    if (spec.ignoreMerges) this.vocab = fullSpec.vocab;
    this.sourceName = spec.sourceName;
    this.vocabSize = spec.vocabSize;
    this.bosId = spec.bosId;
    this.eosId = spec.eosId;
    this.padId = spec.padId;
    this.unkId = spec.unkId;

    this.tokenStrings = new Array<string | undefined>(spec.vocabSize);
    this.specialIds = new Uint8Array(spec.vocabSize);
    for (const [content, id] of fullSpec.vocab) this.setTokenString(id, content, 'vocabulary');
    for (const t of fullSpec.addedTokens) {
      this.setTokenString(t.id, t.content, 'added token');
      if (t.special) this.specialIds[t.id] = 1;
    }
    for (const [id, name] of fullSpec.unusedTokens ?? []) this.setTokenString(id, name, 'padding row');
    const unused = fullSpec.unusedTokens;
    [this.tokenBuffer, this.tokenStart] = this.buildTokenBytes((id) => unused?.has(id) ?? false);

    const normalize = spec.normalizer ?? ((s: string) => s);
    this.rawSplitter = new AddedTokenSplitter(fullSpec.addedTokens.filter((t) => !t.normalized));
    this.normalizedSplitter = new AddedTokenSplitter(
      fullSpec.addedTokens.filter((t) => t.normalized).map((t) => ({ ...t, content: normalize(t.content) })),
    );
    this.merger = new BpeMerger(new BpeMerges(this.resolveMerges(fullSpec)));
    for (let b = 0; b < 256; b++) this.byteSymbol[b] = fullSpec.vocab.get(BYTE_TO_CHAR[b]) ?? -1;
    this.unkSymbol = this.resolveUnk(fullSpec.vocab);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecial = options.addSpecial ?? true;
    const out: number[] = addSpecial ? [...this.spec.template.prefix] : [];
    this.out = out;
    try {
      this.rawSplitter.split(toWellFormed(text), this.encodeRawPiece, this.pushAddedToken);
    } finally {
      this.out = [];
    }
    if (addSpecial) out.push(...this.spec.template.suffix);
    return out;
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skipSpecial = options.skipSpecial ?? false;
    const { tokenBuffer, tokenStart } = this;
    let nBytes = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!this.hasToken(id)) this.throwBadId(id);
      if (skipSpecial && this.specialIds[id] === 1) continue;
      nBytes += tokenStart[id + 1] - tokenStart[id];
    }
    const bytes = new Uint8Array(nBytes);
    let offset = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skipSpecial && this.specialIds[id] === 1) continue;
      for (let j = tokenStart[id], end = tokenStart[id + 1]; j < end; j++) bytes[offset++] = tokenBuffer[j];
    }
    return this.utf8.decode(bytes);
  }

  tokenToBytes(id: number): Uint8Array {
    if (!this.hasToken(id)) this.throwBadId(id);
    let view = this.tokenViews.get(id);
    if (view === undefined) {
      view = this.tokenBuffer.subarray(this.tokenStart[id], this.tokenStart[id + 1]);
      this.tokenViews.set(id, view);
    }
    return view;
  }

  /** Whether `id` is an integer in range that some token has. */
  private hasToken(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize && this.tokenStrings[id] !== undefined;
  }

  tokenToString(id: number): string {
    const s = Number.isInteger(id) ? this.tokenStrings[id] : undefined;
    if (s === undefined) this.throwBadId(id);
    return s;
  }

  isSpecial(id: number): boolean {
    if (!this.hasToken(id)) this.throwBadId(id);
    return this.specialIds[id] === 1;
  }

  /** Splits plain text into words (GPT-2 pattern) and appends each word's ids. */
  private encodeWords(text: string): void {
    if (this.spec.addPrefixSpace && !text.startsWith(' ')) text = ' ' + text;
    if (!this.spec.useRegex) {
      this.encodeWord(text);
      return;
    }
    const regex = this.wordRegex;
    regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(text)) !== null) this.encodeWord(match[0]);
  }

  private encodeWord(word: string): void {
    const out = this.out;
    const cached = this.cache.get(word);
    if (cached !== undefined) {
      if (typeof cached === 'number') out.push(cached);
      else for (let i = 0; i < cached.length; i++) out.push(cached[i]);
      return;
    }
    const ids = this.wordIds;
    ids.length = 0;
    this.bpe(word, ids);
    for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    if (word.length <= MAX_CACHED_WORD_LENGTH) {
      if (this.cache.size >= CACHE_CAPACITY) this.cache.clear();
      this.cache.set(word, ids.length === 1 ? ids[0] : ids.slice());
    }
  }

  /** One word → ids: UTF-8 bytes → one-byte symbols → merges. */
  private bpe(word: string, out: number[]): void {
    if (this.symbols.length < word.length * 3) this.symbols = new Int32Array(word.length * 3);
    const symbols = this.symbols;
    const nBytes = encodeUtf8Into(word, symbols);
    if (this.spec.ignoreMerges) {
      let byteLevel = '';
      for (let i = 0; i < nBytes; i++) byteLevel += BYTE_TO_CHAR[symbols[i]];
      const whole = this.vocab!.get(byteLevel);
      if (whole !== undefined) {
        out.push(whole);
        return;
      }
    }
    let n = 0;
    let previousWasUnk = false;
    for (let i = 0; i < nBytes; i++) {
      const id = this.byteSymbol[symbols[i]];
      if (id >= 0) {
        symbols[n++] = id;
        previousWasUnk = false;
      } else if (this.unkSymbol >= 0 && !(this.spec.fuseUnk && previousWasUnk)) {
        symbols[n++] = this.unkSymbol;
        previousWasUnk = true;
      }
    }
    if (n > 0) this.merger.mergeInto(symbols, n, out);
  }

  private setTokenString(id: number, content: string, what: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new TokenizerError(
        `${this.sourceName}: ${what} ${JSON.stringify(content)} has id ${id}, outside 0..${this.vocabSize - 1}`,
        { hint: 'The vocabulary size must cover every token id.' },
      );
    }
    this.tokenStrings[id] = content;
  }

  /**
   * The bytes of every token in one buffer (see tokenBuffer): byte-level strings decode to their bytes, other
   * text to UTF-8 (as HF); padding rows and ids without a token have none. Two passes, no array per token.
   */
  private buildTokenBytes(isUnused: (id: number) => boolean): [Uint8Array, Int32Array] {
    const strings = this.tokenStrings;
    const start = new Int32Array(strings.length + 1);
    /** The UTF-8 of tokens that are not byte-level text. */
    const other = new Map<number, Uint8Array>();
    let n = 0;
    for (let id = 0; id < strings.length; id++) {
      start[id] = n;
      const s = strings[id];
      if (s === undefined || isUnused(id)) continue;
      if (isByteLevel(s)) n += s.length;
      else {
        const utf8 = this.textEncoder.encode(s);
        other.set(id, utf8);
        n += utf8.length;
      }
    }
    start[strings.length] = n;
    const buffer = new Uint8Array(n);
    for (let id = 0; id < strings.length; id++) {
      const s = strings[id];
      if (s === undefined || start[id + 1] === start[id]) continue;
      const utf8 = other.get(id);
      if (utf8 !== undefined) buffer.set(utf8, start[id]);
      else byteLevelDecodeInto(s, buffer, start[id]);
    }
    return [buffer, start];
  }

  private resolveMerges(spec: BpeTokenizerSpec): MergeColumns {
    const { vocab, merges, mergesKey } = spec;
    const cols: MergeColumns = {
      left: new Int32Array(merges.length),
      right: new Int32Array(merges.length),
      merged: new Int32Array(merges.length),
    };
    const idOf = (token: string, rank: number): number => {
      const id = vocab.get(token);
      if (id === undefined) {
        const [a, b] = merges.at(rank)!;
        throw new TokenizerError(
          `${this.sourceName}: \`${mergesKey}[${rank}]\` ${JSON.stringify(`${a} ${b}`)} uses ${JSON.stringify(token)}, which is not in the vocabulary`,
          { hint: 'The merges and the vocabulary must come from the same tokenizer; re-export it.' },
        );
      }
      return id;
    };
    for (let rank = 0; rank < merges.length; rank++) {
      const [a, b] = merges.at(rank)!;
      cols.left[rank] = idOf(a, rank);
      cols.right[rank] = idOf(b, rank);
      cols.merged[rank] = idOf(a + b, rank);
    }
    return cols;
  }

  private resolveUnk(vocab: ReadonlyMap<string, number>): number {
    const { unkToken } = this.spec;
    if (unkToken === undefined) return -1;
    const id = vocab.get(unkToken);
    if (id === undefined) {
      throw new TokenizerError(`${this.sourceName}: the BPE unk_token ${JSON.stringify(unkToken)} is not in the vocabulary`, {
        hint: 'Set model.unk_token to a vocabulary entry, or to null.',
      });
    }
    return id;
  }

  private throwBadId(id: number): never {
    const inRange = Number.isInteger(id) && id >= 0 && id < this.vocabSize;
    throw new TokenizerError(
      inRange
        ? `Token id ${id} has no token in ${this.sourceName}`
        : `Token id ${id} is out of range for ${this.sourceName} (ids are 0..${this.vocabSize - 1})`,
      {
        hint: 'Decode only ids produced by this tokenizer or by a model whose vocabulary matches it; ' +
          'if the model pads its embedding beyond the tokenizer, mask logits at or above vocabSize.',
      },
    );
  }
}
