/**
 * Whether bytes[start, end) are well-formed UTF-8 as the WHATWG decoder (TextDecoder with `fatal: true`)
 * accepts it: no overlong forms, no surrogates (U+D800–DFFF), nothing above U+10FFFF, no truncated
 * sequence. Allocates nothing, so a parser can check 100k strings without creating them.
 */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let n: number; // continuation bytes
    let cp: number;
    let min: number;
    if ((b0 & 0xe0) === 0xc0) { n = 1; cp = b0 & 0x1f; min = 0x80; }
    else if ((b0 & 0xf0) === 0xe0) { n = 2; cp = b0 & 0x0f; min = 0x800; }
    else if ((b0 & 0xf8) === 0xf0) { n = 3; cp = b0 & 0x07; min = 0x10000; }
    else return false;
    if (i + n >= end) return false; // truncated
    for (let k = 1; k <= n; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}
