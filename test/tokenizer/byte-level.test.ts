import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BYTE_TO_CHAR, byteLevelDecode, byteLevelEncode, byteOfChar } from '../../src/tokenizer/byte-level.js';
import { byteLevelSplit } from '../../src/tokenizer/byte-level-split.js';

describe('byte-level alphabet (GPT-2 bytes_to_unicode)', () => {
  it('maps the 256 bytes to 256 distinct printable characters, and back', () => {
    assert.equal(BYTE_TO_CHAR.length, 256);
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    for (let b = 0; b < 256; b++) assert.equal(byteOfChar(BYTE_TO_CHAR[b].charCodeAt(0)), b);
  });

  it('keeps printable bytes and shifts the rest to U+0100..U+0143', () => {
    const table: [number, string][] = [
      [0x21, '!'], [0x41, 'A'], [0x7e, '~'], [0xa1, '¡'], [0xff, 'ÿ'],
      [0x00, 'Ā'], [0x0a, 'Ċ'], [0x20, 'Ġ'], [0x7f, 'ġ'], [0xad, 'Ń'],
    ];
    for (const [byte, char] of table) assert.equal(BYTE_TO_CHAR[byte], char, `byte 0x${byte.toString(16)}`);
  });

  it('decodes token strings to bytes, and rejects characters outside the alphabet', () => {
    assert.deepEqual(byteLevelDecode('Ġthe'), new TextEncoder().encode(' the'));
    assert.deepEqual(byteLevelDecode('ðŁĺĢ'), new TextEncoder().encode('😀'));
    assert.equal(byteLevelDecode('  '), undefined, 'a raw space is not a byte-level character');
    assert.equal(byteLevelDecode('日'), undefined);
    assert.equal(byteLevelEncode(new TextEncoder().encode(' é\n')), 'ĠÃ©Ċ');
  });
});

describe('GPT-2 pre-tokenization pattern', () => {
  const table: [string, string[]][] = [
    ['Hello, world!', ['Hello', ',', ' world', '!']],
    ["I'm you're CAN'T", ['I', "'m", ' you', "'re", ' CAN', "'", 'T']],
    ['a  b', ['a', ' ', ' b']],
    ['x\n\n  y', ['x', '\n\n ', ' y']],
    ['trailing  ', ['trailing', '  ']],
    ['1234 3.14', ['1234', ' 3', '.', '14']],
    ['naïve café', ['naïve', ' café']],
    // Oniguruma's \s is White_Space: U+0085 is whitespace, U+FEFF is not (JavaScript's \s says the opposite).
    ['a \u0085b', ['a', ' ', '\u0085', 'b']],
    ['a \ufeff b', ['a', ' \ufeff', ' b']],
    ['', []],
  ];
  for (const [text, pieces] of table) {
    it(`splits ${JSON.stringify(text)}`, () => assert.deepEqual(byteLevelSplit(text), pieces));
  }

  it('tiles any input: the pieces concatenate back to the text', () => {
    const text = 'é\u0301 \t\r\n\u2028 日本 123 ١٢ 😀👍🏽 \u0000\u0001 \'ll\'s x';
    assert.equal(byteLevelSplit(text).join(''), text);
  });
});
