import { TokenizerError } from '../errors.js';
import { AddedTokenSplitter, type AddedTokenPattern } from './added-token-splitter.js';
import { BpeMerger } from './bpe-merger.js';
import { BpeMerges } from './bpe-merges.js';
import { BYTE_TO_CHAR, byteLevelDecode } from './byte-level.js';
import { byteLevelSplitRegex } from './byte-level-split.js';
import type { Normalizer } from './normalizers.js';
import type { SpecialTemplate } from './post-processors.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';
import { encodeUtf8Into, toWellFormed } from './utf8.js';

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
  /** Merge rules, best first, as pairs of vocabulary strings. */
  merges: ReadonlyArray<readonly [string, string]>;
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
  /** tokenBytes[id]: views into one buffer.  (vocabSize) */
  private readonly tokenBytes: (Uint8Array | undefined)[];
  private readonly specialIds: Uint8Array;
  private readonly spec: BpeTokenizerSpec;
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

  constructor(spec: BpeTokenizerSpec) {
    this.spec = spec;
    this.sourceName = spec.sourceName;
    this.vocabSize = spec.vocabSize;
    this.bosId = spec.bosId;
    this.eosId = spec.eosId;
    this.padId = spec.padId;
    this.unkId = spec.unkId;

    this.tokenStrings = new Array<string | undefined>(spec.vocabSize);
    this.specialIds = new Uint8Array(spec.vocabSize);
    for (const [content, id] of spec.vocab) this.setTokenString(id, content, 'vocabulary');
    for (const t of spec.addedTokens) {
      this.setTokenString(t.id, t.content, 'added token');
      if (t.special) this.specialIds[t.id] = 1;
    }
    for (const [id, name] of spec.unusedTokens ?? []) this.setTokenString(id, name, 'padding row');
    this.tokenBytes = this.buildTokenBytes();

    const normalize = spec.normalizer ?? ((s: string) => s);
    this.rawSplitter = new AddedTokenSplitter(spec.addedTokens.filter((t) => !t.normalized));
    this.normalizedSplitter = new AddedTokenSplitter(
      spec.addedTokens.filter((t) => t.normalized).map((t) => ({ ...t, content: normalize(t.content) })),
    );
    this.merger = new BpeMerger(new BpeMerges(this.resolveMerges()));
    for (let b = 0; b < 256; b++) this.byteSymbol[b] = spec.vocab.get(BYTE_TO_CHAR[b]) ?? -1;
    this.unkSymbol = this.resolveUnk();
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
    let nBytes = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skipSpecial && this.isSpecial(id)) continue;
      nBytes += this.tokenToBytes(id).length;
    }
    const bytes = new Uint8Array(nBytes);
    let offset = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skipSpecial && this.specialIds[id] === 1) continue;
      const token = this.tokenBytes[id] as Uint8Array;
      bytes.set(token, offset);
      offset += token.length;
    }
    return this.utf8.decode(bytes);
  }

  tokenToBytes(id: number): Uint8Array {
    const bytes = Number.isInteger(id) ? this.tokenBytes[id] : undefined;
    if (bytes === undefined) this.throwBadId(id);
    return bytes;
  }

  tokenToString(id: number): string {
    const s = Number.isInteger(id) ? this.tokenStrings[id] : undefined;
    if (s === undefined) this.throwBadId(id);
    return s;
  }

  isSpecial(id: number): boolean {
    this.tokenToBytes(id);
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
      const whole = this.spec.vocab.get(byteLevel);
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

  /** The bytes of every token in one buffer: byte-level strings decode to bytes, other text to UTF-8 (as HF). */
  private buildTokenBytes(): (Uint8Array | undefined)[] {
    const parts = this.tokenStrings.map((s, id) => {
      if (s === undefined || this.spec.unusedTokens?.has(id)) return s === undefined ? undefined : new Uint8Array(0);
      return byteLevelDecode(s) ?? this.textEncoder.encode(s);
    });
    const buffer = new Uint8Array(parts.reduce((sum, p) => sum + (p?.length ?? 0), 0));
    let offset = 0;
    return parts.map((p) => {
      if (p === undefined) return undefined;
      buffer.set(p, offset);
      offset += p.length;
      return buffer.subarray(offset - p.length, offset);
    });
  }

  private resolveMerges(): [number, number, number][] {
    const { vocab, merges, mergesKey } = this.spec;
    return merges.map(([a, b], rank) => {
      const idOf = (token: string): number => {
        const id = vocab.get(token);
        if (id === undefined) {
          throw new TokenizerError(
            `${this.sourceName}: \`${mergesKey}[${rank}]\` ${JSON.stringify(`${a} ${b}`)} uses ${JSON.stringify(token)}, which is not in the vocabulary`,
            { hint: 'The merges and the vocabulary must come from the same tokenizer; re-export it.' },
          );
        }
        return id;
      };
      return [idOf(a), idOf(b), idOf(a + b)];
    });
  }

  private resolveUnk(): number {
    const { unkToken } = this.spec;
    if (unkToken === undefined) return -1;
    const id = this.spec.vocab.get(unkToken);
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
