/**
 * GPT-2's byte ⇄ unicode table (`bytes_to_unicode` in openai/gpt-2 encoder.py, `ByteLevel` in
 * Hugging Face tokenizers). Printable bytes map to themselves; the other 68 bytes map to U+0100 and up,
 * so every byte string becomes a printable string: 0x20 (space) → "Ġ" (U+0120), 0x0A → "Ċ" (U+010A).
 */

/** BYTE_TO_CHAR[b] is the one-character string that stands for byte b.  (256) */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** BYTE_TO_UTF8[b]: the UTF-8 of BYTE_TO_CHAR[b] (1 or 2 bytes: every char of the alphabet is below U+0800).  (256) */
export const BYTE_TO_UTF8: readonly Uint8Array[] = BYTE_TO_CHAR.map((ch) => new TextEncoder().encode(ch));

/** CHAR_CODE_TO_BYTE[c] is the byte that char code c stands for, or -1.  (324) */
const CHAR_CODE_TO_BYTE: Int16Array = buildCharCodeToByte(BYTE_TO_CHAR);

function buildByteToChar(): string[] {
  const isPrintable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table = new Array<string>(256);
  let nShifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(isPrintable(b) ? b : 256 + nShifted++);
  }
  return table;
}

function buildCharCodeToByte(byteToChar: readonly string[]): Int16Array {
  const table = new Int16Array(256 + 68).fill(-1);
  byteToChar.forEach((ch, b) => { table[ch.charCodeAt(0)] = b; });
  return table;
}

/** The byte char code `c` stands for, or -1 if `c` is not in the byte-level alphabet. */
export function byteOfChar(charCode: number): number {
  return charCode < CHAR_CODE_TO_BYTE.length ? CHAR_CODE_TO_BYTE[charCode] : -1;
}

/** Whether every character of `token` is in the byte-level alphabet. */
export function isByteLevel(token: string): boolean {
  for (let i = 0; i < token.length; i++) if (byteOfChar(token.charCodeAt(i)) < 0) return false;
  return true;
}

/** Writes the bytes of byte-level `token` (isByteLevel) to out[offset, offset + token.length). */
export function byteLevelDecodeInto(token: string, out: Uint8Array, offset: number): void {
  for (let i = 0; i < token.length; i++) out[offset + i] = byteOfChar(token.charCodeAt(i));
}

/** "Ġthe" → bytes of " the"; undefined if some character is outside the byte-level alphabet. */
export function byteLevelDecode(token: string): Uint8Array | undefined {
  if (!isByteLevel(token)) return undefined;
  const bytes = new Uint8Array(token.length);
  byteLevelDecodeInto(token, bytes, 0);
  return bytes;
}

/** Bytes → their byte-level string ("Ġthe" for the bytes of " the"). */
export function byteLevelEncode(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/**
 * Byte-level text given as UTF-8 (bytes[begin, end), valid UTF-8) → the bytes it stands for, written to
 * out[offset…]; returns their count, or -1 (nothing meaningful written) if some character is outside the
 * byte-level alphabet. The alphabet's characters are all 1 or 2 bytes of UTF-8, so one byte comes out per
 * character: out needs at most end - begin bytes.
 */
export function byteLevelDecodeUtf8(bytes: Uint8Array, begin: number, end: number, out: Uint8Array, offset: number): number {
  let n = 0;
  for (let i = begin; i < end; i++) {
    const b0 = bytes[i];
    let code: number;
    if (b0 < 0x80) code = b0;
    else if ((b0 & 0xe0) === 0xc0 && i + 1 < end) code = ((b0 & 0x1f) << 6) | (bytes[++i] & 0x3f);
    else return -1;
    const b = byteOfChar(code);
    if (b < 0) return -1;
    out[offset + n++] = b;
  }
  return n;
}
