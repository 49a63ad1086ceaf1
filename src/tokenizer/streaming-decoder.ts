import type { DecodeOptions, Tokenizer } from './tokenizer.js';

/**
 * Turns generated ids into text as they arrive. A token can end inside a multi-byte UTF-8 character
 * (GPT-NeoX splits most emoji over several tokens), so bytes of an incomplete character are held back
 * until it completes. The concatenation of every push() and the final flush() equals
 * `tok.decode(allIds, options)`, invalid bytes (→ U+FFFD) included: both use the same streaming
 * UTF-8 decoder. Allocates nothing per token beyond the returned string.
 */
export class StreamingDecoder {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly skipSpecial: boolean;

  constructor(
    private readonly tok: Tokenizer,
    options: DecodeOptions = {},
  ) {
    this.skipSpecial = options.skipSpecial ?? false;
  }

  /** The text completed by this token ('' while a character is still incomplete). */
  push(id: number): string {
    const bytes = this.tok.tokenToBytes(id);
    if (this.skipSpecial && this.tok.isSpecial(id)) return '';
    return this.decoder.decode(bytes, { stream: true });
  }

  /** Ends the stream: returns what is left (U+FFFD for an unfinished character) and resets. */
  flush(): string {
    return this.decoder.decode();
  }
}
