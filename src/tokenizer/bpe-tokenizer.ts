import { TokenizerError } from '../errors.js';
import { AddedTokenSplitter, type AddedTokenPattern } from './added-token-splitter.js';
import { BpeMerger } from './bpe-merger.js';
import { BpeMerges, type MergeColumns } from './bpe-merges.js';
import { BYTE_TO_CHAR, BYTE_TO_UTF8, byteLevelDecodeUtf8 } from './byte-level.js';
import { byteLevelSplitRegex } from './byte-level-split.js';
import type { Normalizer } from './normalizers.js';
import type { SpecialTemplate } from './post-processors.js';
import { TokenIndex } from './token-index.js';
import { TOKEN_KIND, mergePair, type MergeTable, type TokenTable } from './token-table.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';
import { encodeUtf8Into, toWellFormed } from './utf8.js';
import { utf8TableString } from '../io/utf8-table.js';

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
  /**
   * Every token's string as UTF-8 — the BPE vocabulary (byte-level strings such as "Ġthe"), the added tokens'
   * content, padding rows' names — with its id and kind. Only read while the tokenizer is built (a GGUF
   * header's string array can be used in place), except with `ignoreMerges`, whose whole-word lookups keep it.
   */
  tokens: TokenTable;
  /** Merge rules, best first, as "a b" UTF-8 (only read while the tokenizer is built). */
  merges: MergeTable;
  /** Where the merges came from, for error messages: "model.merges" or "tokenizer.ggml.merges". */
  mergesKey: string;
  /** How the added tokens match; each id's entry in `tokens` is ADDED. */
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

  /** kinds[id]: the TOKEN_KIND of the id's token; 0 for ids no token has.  (vocabSize) */
  private readonly kinds: Uint8Array;
  /** 1 where the id's string is byte-level text (its bytes are what it stands for), 0 where its bytes are its UTF-8.  (vocabSize) */
  private readonly byteLevel: Uint8Array;
  /** The strings of added tokens and padding rows (the vocabulary's are rebuilt from their bytes when asked). */
  private readonly names = new Map<number, string>();
  /**
   * The bytes of every token, one after another: token id's are tokenBuffer[tokenStart[id], tokenStart[id + 1]).
   * One buffer and one offset table instead of 50k views (~7 MiB of heap for GPT-NeoX).  (vocabSize + 1)
   */
  private readonly tokenBuffer: Uint8Array;
  private readonly tokenStart: Int32Array;
  /** Views of tokenBuffer made by tokenToBytes, kept so that streaming a token again allocates nothing. */
  private readonly tokenViews = new Map<number, Uint8Array>();
  private readonly specialIds: Uint8Array;
  /** What encode needs of the spec (not its tables, which live on in the merger and tokenBuffer as typed arrays). */
  private readonly spec: Omit<BpeTokenizerSpec, 'tokens' | 'merges' | 'addedTokens'>;
  /** The vocabulary's string → id lookup, kept only for `ignoreMerges` (whole-word lookups). */
  private readonly vocabIndex?: TokenIndex;
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
  /** Scratch for ignoreMerges: a word's byte-level string as UTF-8 (2 bytes per byte at most). */
  private wordUtf8 = new Uint8Array(0);
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
    const { tokens, merges, addedTokens, ...spec } = fullSpec;
    this.spec = spec;
    this.sourceName = spec.sourceName;
    this.vocabSize = spec.vocabSize;
    this.bosId = spec.bosId;
    this.eosId = spec.eosId;
    this.padId = spec.padId;
    this.unkId = spec.unkId;

    // Each id's token: the last table entry that names it.
    const owner = new Int32Array(spec.vocabSize).fill(-1);
    this.kinds = new Uint8Array(spec.vocabSize);
    const idOf = tokens.ids === undefined ? (e: number) => e : (e: number) => tokens.ids![e];
    for (let e = 0; e < tokens.texts.length; e++) {
      const id = idOf(e);
      if (!Number.isInteger(id) || id < 0 || id >= spec.vocabSize) {
        const what = tokens.kinds[e] === TOKEN_KIND.VOCAB ? 'vocabulary entry' : tokens.kinds[e] === TOKEN_KIND.ADDED ? 'added token' : 'padding row';
        throw new TokenizerError(
          `${this.sourceName}: ${what} ${JSON.stringify(utf8TableString(tokens.texts, e))} has id ${id}, outside 0..${spec.vocabSize - 1}`,
          { hint: 'The vocabulary size must cover every token id.' },
        );
      }
      owner[id] = e;
      this.kinds[id] = tokens.kinds[e];
    }
    this.byteLevel = new Uint8Array(spec.vocabSize);
    [this.tokenBuffer, this.tokenStart] = this.buildTokenBytes(tokens, owner);
    this.specialIds = new Uint8Array(spec.vocabSize);
    for (const t of addedTokens) if (t.special) this.specialIds[t.id] = 1;

    const normalize = spec.normalizer ?? ((s: string) => s);
    this.rawSplitter = new AddedTokenSplitter(addedTokens.filter((t) => !t.normalized));
    this.normalizedSplitter = new AddedTokenSplitter(
      addedTokens.filter((t) => t.normalized).map((t) => ({ ...t, content: normalize(t.content) })),
    );
    const index = new TokenIndex(tokens.texts, idOf, (e) => tokens.kinds[e] === TOKEN_KIND.VOCAB);
    this.merger = new BpeMerger(new BpeMerges(this.resolveMerges(index, merges, spec.mergesKey)));
    for (let b = 0; b < 256; b++) this.byteSymbol[b] = index.find(BYTE_TO_UTF8[b], 0, BYTE_TO_UTF8[b].length);
    this.unkSymbol = this.resolveUnk(index);
    if (spec.ignoreMerges) this.vocabIndex = index;
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

  tokenByteLength(id: number): number {
    if (!this.hasToken(id)) this.throwBadId(id);
    return this.tokenStart[id + 1] - this.tokenStart[id];
  }

  /** Whether `id` is an integer in range that some token has. */
  private hasToken(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize && this.kinds[id] !== 0;
  }

  tokenToString(id: number): string {
    if (!this.hasToken(id)) this.throwBadId(id);
    const name = this.names.get(id);
    if (name !== undefined) return name;
    const bytes = this.tokenBuffer.subarray(this.tokenStart[id], this.tokenStart[id + 1]);
    if (this.byteLevel[id] === 0) return this.utf8.decode(bytes);
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
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
    if (this.vocabIndex !== undefined) {
      if (this.wordUtf8.length < 2 * nBytes) this.wordUtf8 = new Uint8Array(4 * nBytes);
      let m = 0;
      for (let i = 0; i < nBytes; i++) for (const b of BYTE_TO_UTF8[symbols[i]]) this.wordUtf8[m++] = b;
      const whole = this.vocabIndex.find(this.wordUtf8, 0, m);
      if (whole >= 0) {
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

  /**
   * The bytes of every token in one buffer (see tokenBuffer): byte-level strings decode to their bytes, other
   * text is its UTF-8 (as HF); padding rows and ids without a token have none. Sets byteLevel and names.
   */
  private buildTokenBytes(tokens: TokenTable, owner: Int32Array): [Uint8Array, Int32Array] {
    const { texts } = tokens;
    const start = new Int32Array(owner.length + 1);
    // A byte-level string has one byte per character: never more bytes than its UTF-8.
    let capacity = 0;
    for (let id = 0; id < owner.length; id++) if (owner[id] >= 0) capacity += texts.end[owner[id]] - texts.begin[owner[id]];
    const buffer = new Uint8Array(capacity);
    let n = 0;
    for (let id = 0; id < owner.length; id++) {
      start[id] = n;
      const e = owner[id];
      if (e < 0) continue;
      const kind = this.kinds[id];
      if (kind !== TOKEN_KIND.VOCAB) this.names.set(id, utf8TableString(texts, e));
      if (kind === TOKEN_KIND.UNUSED) continue;
      const decoded = byteLevelDecodeUtf8(texts.bytes, texts.begin[e], texts.end[e], buffer, n);
      if (decoded >= 0) {
        this.byteLevel[id] = 1;
        n += decoded;
      } else {
        buffer.set(texts.bytes.subarray(texts.begin[e], texts.end[e]), n);
        n += texts.end[e] - texts.begin[e];
      }
    }
    start[owner.length] = n;
    return [buffer.slice(0, n), start];
  }

  private resolveMerges(index: TokenIndex, merges: MergeTable, mergesKey: string): MergeColumns {
    const { bytes, begin, end } = merges.texts;
    const n = merges.texts.length;
    const cols: MergeColumns = { left: new Int32Array(n), right: new Int32Array(n), merged: new Int32Array(n) };
    for (let rank = 0; rank < n; rank++) {
      const split = merges.split[rank];
      const left = index.find(bytes, begin[rank], split);
      const right = index.find(bytes, split + 1, end[rank]);
      const merged = index.findPair(bytes, begin[rank], split, split + 1, end[rank]);
      if (left < 0 || right < 0 || merged < 0) {
        const [a, b] = mergePair(merges, rank);
        throw new TokenizerError(
          `${this.sourceName}: \`${mergesKey}[${rank}]\` ${JSON.stringify(`${a} ${b}`)} uses ${JSON.stringify(left < 0 ? a : right < 0 ? b : a + b)}, which is not in the vocabulary`,
          { hint: 'The merges and the vocabulary must come from the same tokenizer; re-export it.' },
        );
      }
      cols.left[rank] = left;
      cols.right[rank] = right;
      cols.merged[rank] = merged;
    }
    return cols;
  }

  private resolveUnk(index: TokenIndex): number {
    const { unkToken } = this.spec;
    if (unkToken === undefined) return -1;
    const utf8 = this.textEncoder.encode(unkToken);
    const id = index.find(utf8, 0, utf8.length);
    if (id < 0) {
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
