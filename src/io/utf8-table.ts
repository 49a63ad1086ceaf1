/**
 * Strings kept as UTF-8: string i is bytes[begin[i], end[i]). A GGUF header's string array is one as it lies in
 * the file (LazyGGUFArray.utf8Table: a view, no JS string per item — the tokenizer's 100k strings would grow
 * V8's young generation by ~15 MiB); utf8TableOf makes one from JS strings.
 */
export interface Utf8Table {
  readonly length: number;
  readonly bytes: Uint8Array;
  readonly begin: Int32Array;
  readonly end: Int32Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** The strings' UTF-8 one after another in one buffer (lone surrogates become U+FFFD, as TextEncoder writes them). */
export function utf8TableOf(strings: readonly string[]): Utf8Table {
  const n = strings.length;
  const begin = new Int32Array(n);
  const end = new Int32Array(n);
  let bytes = new Uint8Array(Math.max(16, 2 * n));
  let at = 0;
  for (let i = 0; i < n; i++) {
    const s = strings[i];
    // 3 bytes per UTF-16 unit is the most UTF-8 a string can take.
    if (at + 3 * s.length > bytes.length) {
      const grown = new Uint8Array(Math.max(2 * bytes.length, at + 3 * s.length));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    begin[i] = at;
    at += encoder.encodeInto(s, bytes.subarray(at)).written;
    end[i] = at;
  }
  return { length: n, bytes, begin, end };
}

/** String i of the table (for messages and the few strings kept as text). */
export function utf8TableString(t: Utf8Table, i: number): string {
  return decoder.decode(t.bytes.subarray(t.begin[i], t.end[i]));
}

/** The number of bytes TextEncoder writes for `s` (a lone surrogate: 3, as U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
