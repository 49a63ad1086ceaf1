/**
 * The library's model object: a forward backend, a tokenizer and the generation loop.
 *
 *   const model = await loadModel('stories.gguf');              // src/node/load-model.ts
 *   for await (const ev of model.generate('Once upon a time', { maxTokens: 50 })) {
 *     if (ev.type === 'token') process.stdout.write(ev.text);
 *   }
 */
import { MambaError, TokenizerError, UsageError } from '../errors.js';
import type { MambaConfig } from '../model/mamba-config.js';
import type { ModelFile } from '../model/model-file.js';
import type { SamplingOptions } from '../sampling/sampling-options.js';
import { StreamingDecoder } from '../tokenizer/streaming-decoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { tokenizerForModel } from '../tokenizer/model-tokenizer.js';
import type { ForwardBackend } from './forward-backend.js';
import type { MambaState } from './mamba-state.js';
import { MambaReference } from './mamba-reference.js';
import { loadWeightsF32 } from './mamba-weights.js';
import { modelFingerprint } from './model-fingerprint.js';
import { Sequence } from './sequence.js';
import { decodeState, encodeState } from './state-file.js';
import { StopMatcher } from './stop-matcher.js';
import type { KernelWorkerFactory } from '../wasm/kernel-pool.js';
import { defaultThreadsFor, WasmBackend } from '../wasm/wasm-backend.js';
import { chooseBackend, type BackendName } from './choose-backend.js';

export { BACKEND_NAMES, DEFAULT_BACKEND, type BackendName } from './choose-backend.js';

export interface GenerateOptions {
  /** Tokens to generate per sequence. */
  maxTokens: number;
  /** Stop when the text contains one of these (the stop string is not part of the output). */
  stop?: readonly string[];
  /** Sampling options; a continued sequence takes them too, its random stream continuing where it was. */
  sampling?: Partial<SamplingOptions>;
  /** Stop at the end-of-text token (default true). */
  stopAtEos?: boolean;
  /** Sequences decoded together (default: all prompts at once). */
  batchSize?: number;
}

/** A prompt: text, token ids, and/or a sequence to continue (from `restoreSequence`). */
export type GenerateInput = string | { text?: string; ids?: readonly number[]; sequence?: Sequence };

export type FinishReason = 'eos' | 'length' | 'stop';

export type GenerationEvent =
  | { type: 'token'; index: number; id: number; text: string; probability: number }
  | {
      type: 'end';
      index: number;
      finishReason: FinishReason;
      /** Generated ids (the one that completed a stop string included). */
      tokens: number[];
      text: string;
      promptTokens: number;
      sequence: Sequence;
      /** Milliseconds spent on prompt processing and on decoding, for this sequence's batch. */
      promptMs: number;
      decodeMs: number;
    };

/** A batched step's arguments, allocated once per generate call (feedPendingBatch). */
interface PendingBatch {
  readonly tokens: Int32Array;
  readonly states: MambaState[];
  readonly logits: Float32Array[];
}

export class MambaModel {
  /** Token ids that are never sampled: rows of the padded vocabulary the tokenizer has no token for. */
  private readonly maskedIds: Int32Array;

  private constructor(
    readonly config: MambaConfig,
    readonly backend: ForwardBackend,
    readonly tokenizer: Tokenizer,
    readonly fingerprint: string,
    readonly file: ModelFile,
  ) {
    if (tokenizer.vocabSize > config.nVocab) {
      throw new TokenizerError(`${file.path}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's embedding has only ${config.nVocab} rows`, {
        hint: 'use the tokenizer the model was trained with',
      });
    }
    const masked: number[] = [];
    for (let id = 0; id < config.nVocab; id++) {
      if (id >= tokenizer.vocabSize || (!tokenizer.isSpecial(id) && tokenizer.tokenByteLength(id) === 0)) masked.push(id);
    }
    this.maskedIds = Int32Array.from(masked);
  }

  /**
   * Builds a model from an opened model file; reads all weights. The backend is chosen by chooseBackend from
   * `backend` and `threads` (0 or absent: automatic, `autoThreads` capped by the model's width — loadModel
   * passes one per physical core). More than one thread needs a `workerFactory` (mamba-ts/node's loadModel
   * supplies worker_threads; the models of a process share them); call `dispose()` when done.
   */
  static async fromModelFile(
    file: ModelFile,
    opts: {
      tokenizer?: Tokenizer; onTensor?: (name: string) => void; backend?: BackendName; threads?: number; autoThreads?: number;
      workerFactory?: KernelWorkerFactory;
    } = {},
  ): Promise<MambaModel> {
    const tokenizer = opts.tokenizer ?? tokenizerForModel(file);
    const auto = opts.workerFactory ? defaultThreadsFor(file.config, opts.autoThreads ?? 1) : 1;
    const choice = chooseBackend(opts.backend, opts.threads, auto);
    const backend: ForwardBackend = choice.name === 'scalar'
      ? new MambaReference(file.config, await loadWeightsF32(file, opts.onTensor))
      : await WasmBackend.create(file, { onTensor: opts.onTensor, threads: choice.threads, workerFactory: opts.workerFactory });
    const fingerprint = await modelFingerprint(file);
    return new MambaModel(file.config, backend, tokenizer, fingerprint, file);
  }

  /** Threads the backend computes with. */
  get nThreads(): number {
    return this.backend.nThreads ?? 1;
  }

  /**
   * Detaches the model from the process's worker threads (they stop when no model is left) and lets its memory
   * go; the model cannot compute afterwards.
   */
  async dispose(): Promise<void> {
    await this.backend.dispose?.();
  }

  /** A new, empty sequence; its state lives in the backend's memory while a slot is free (no copies per token). */
  newSequence(sampling: Partial<SamplingOptions> = {}): Sequence {
    return new Sequence(this.config, sampling, this.backend.acquireState?.());
  }

  /** Frees a sequence's backend state slot now instead of when it is garbage-collected; it cannot be fed afterwards. */
  releaseSequence(seq: Sequence): void {
    this.backend.releaseState?.(seq.state);
  }

  /** Feeds tokens into a sequence (a pending token first); afterwards `seq.logits` predicts the next one. */
  feed(seq: Sequence, ids: readonly number[]): void {
    const all = seq.pendingToken !== undefined ? [seq.pendingToken, ...ids] : ids;
    if (all.length === 0) return;
    // the backend checks the ids (checkTokenIds) before the state changes: a bad one leaves seq as it was
    this.backend.prefill(all, seq.state, seq.logits);
    for (const id of all) seq.tokens.push(id);
    seq.pendingToken = undefined;
    seq.hasLogits = true;
  }

  /** Feeds the pending token (the decode loop's step: no allocation). */
  private feedPending(seq: Sequence): void {
    this.backend.step(seq.pendingToken!, seq.state, seq.logits);
    this.pendingFed(seq);
  }

  /** After the backend has stepped seq's pending token: it joins the context, and the logits predict the next. */
  private pendingFed(seq: Sequence): void {
    seq.tokens.push(seq.pendingToken!);
    seq.pendingToken = undefined;
    seq.hasLogits = true;
  }

  /**
   * Feeds the pending tokens of seqs[0…n) together (one batched step when the backend has one: the weights
   * read once for all of them; the same results as one step each). No allocation: `batch` is the caller's.
   */
  private feedPendingBatch(seqs: readonly Sequence[], n: number, batch: PendingBatch): void {
    const stepBatch = this.backend.stepBatch;
    if (n < 2 || !stepBatch) {
      for (let i = 0; i < n; i++) this.feedPending(seqs[i]);
      return;
    }
    for (let i = 0; i < n; i++) {
      batch.tokens[i] = seqs[i].pendingToken!;
      batch.states[i] = seqs[i].state;
      batch.logits[i] = seqs[i].logits;
    }
    stepBatch.call(this.backend, n, batch.tokens, batch.states, batch.logits);
    for (let i = 0; i < n; i++) this.pendingFed(seqs[i]);
  }

  /** The sequence's state as bytes (see state-file.ts): save it to continue later. */
  saveState(seq: Sequence): Uint8Array {
    const s = seq.getState();
    return encodeState(this.config, {
      fingerprint: this.fingerprint,
      tokens: [...s.tokens],
      pendingToken: s.pendingToken,
      rngState: Uint32Array.from(s.rngState),
      state: s.state,
    });
  }

  /** A sequence continuing from saved bytes; typed error if they belong to another model or are damaged. */
  restoreSequence(bytes: Uint8Array, fileName: string, sampling: Partial<SamplingOptions> = {}, opts: { keepRng?: boolean } = {}): Sequence {
    const saved = decodeState(bytes, this.config, this.fingerprint, fileName);
    const seq = this.newSequence(sampling);
    const rng = seq.sampler.getState();
    seq.setState({ tokens: saved.tokens, pendingToken: saved.pendingToken, rngState: Array.from(saved.rngState), state: saved.state });
    if (opts.keepRng === false) seq.sampler.setState(rng);
    return seq;
  }

  /** Generates for one or more prompts; sequences of a batch are decoded together, events interleaved. */
  async *generate(input: GenerateInput | readonly GenerateInput[], options: GenerateOptions): AsyncGenerator<GenerationEvent> {
    const inputs = Array.isArray(input) ? (input as readonly GenerateInput[]) : [input as GenerateInput];
    const batchSize = options.batchSize ?? inputs.length;
    if (!Number.isInteger(options.maxTokens) || options.maxTokens < 0) throw new UsageError(`maxTokens must be a non-negative integer, got ${options.maxTokens}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`batch size must be a positive integer, got ${batchSize}`);
    for (let start = 0; start < inputs.length; start += batchSize) {
      yield* this.generateBatch(inputs.slice(start, start + batchSize), start, options);
    }
  }

  private async *generateBatch(inputs: readonly GenerateInput[], firstIndex: number, options: GenerateOptions): AsyncGenerator<GenerationEvent> {
    const tok = this.tokenizer;
    const eos = options.stopAtEos === false ? undefined : tok.eosId;
    const t0 = performance.now();
    const seqs = inputs.map((inp) => {
      const o = typeof inp === 'string' ? { text: inp } : inp;
      const seq = o.sequence ?? this.newSequence(options.sampling);
      if (o.sequence && options.sampling) seq.configureSampling(options.sampling);
      let ids = o.ids ? [...o.ids] : o.text ? tok.encode(o.text) : [];
      const fresh = seq.tokens.length === 0 && seq.pendingToken === undefined;
      if (fresh && ids.length === 0) {
        const start = tok.bosId ?? tok.eosId;
        if (start === undefined) throw new MambaError('empty prompt and the tokenizer has no BOS/EOS token to start from', { hint: 'give a prompt' });
        ids = [start];
      }
      const promptTokens = ids.length;
      if (ids.length > 0 || seq.pendingToken !== undefined) this.feed(seq, ids);
      if (!seq.hasLogits) throw new MambaError('nothing to continue from: the sequence has no tokens', { hint: 'give a prompt' });
      const decoder = new StreamingDecoder(tok);
      // Prime the decoder with the context's last tokens so a character split across the boundary completes.
      for (const id of seq.tokens.slice(-4)) decoder.push(id);
      return { seq, promptTokens, decoder, stop: new StopMatcher(options.stop ?? []), generated: [] as number[], text: '', done: false as boolean, reason: 'length' as FinishReason };
    });
    const promptMs = performance.now() - t0;
    const t1 = performance.now();
    const masked = this.maskedIds;
    const finish = (s: (typeof seqs)[number], reason: FinishReason) => {
      s.done = true;
      s.reason = reason;
    };
    for (const s of seqs) if (options.maxTokens === 0) finish(s, 'length');
    // the sequences to feed after this round of sampling: stepped together (feedPendingBatch)
    const toFeed = new Array<Sequence>(seqs.length);
    const batch: PendingBatch = { tokens: new Int32Array(seqs.length), states: new Array<MambaState>(seqs.length), logits: new Array<Float32Array>(seqs.length) };

    while (seqs.some((s) => !s.done)) {
      let nFeed = 0;
      for (let i = 0; i < seqs.length; i++) {
        const s = seqs[i];
        if (s.done) continue;
        const logits = s.seq.logits;
        for (let m = 0; m < masked.length; m++) logits[masked[m]] = -Infinity;
        const context = s.seq.tokens;
        const id = s.seq.sampler.sample(logits, context);
        const probability = s.seq.sampler.lastProbability;
        s.generated.push(id);
        s.seq.pendingToken = id;
        if (id === eos) {
          finish(s, 'eos');
          continue;
        }
        const { emit, stopped } = s.stop.push(s.decoder.push(id));
        s.text += emit;
        if (emit.length > 0 || stopped) yield { type: 'token', index: firstIndex + i, id, text: emit, probability };
        else yield { type: 'token', index: firstIndex + i, id, text: '', probability };
        if (stopped) finish(s, 'stop');
        else if (s.generated.length >= options.maxTokens) finish(s, 'length');
        else toFeed[nFeed++] = s.seq;
      }
      this.feedPendingBatch(toFeed, nFeed, batch);
    }
    const decodeMs = performance.now() - t1;
    for (let i = 0; i < seqs.length; i++) {
      const s = seqs[i];
      if (s.reason !== 'stop') {
        // Text held back for a possible stop string is ordinary text after all. Bytes of an unfinished
        // character stay in the decoder: a run continued from a saved state completes them.
        const tail = s.stop.flush();
        if (tail) {
          s.text += tail;
          yield { type: 'token', index: firstIndex + i, id: -1, text: tail, probability: 1 };
        }
      }
      yield { type: 'end', index: firstIndex + i, finishReason: s.reason, tokens: s.generated, text: s.text, promptTokens: s.promptTokens, sequence: s.seq, promptMs, decodeMs };
    }
  }
}
