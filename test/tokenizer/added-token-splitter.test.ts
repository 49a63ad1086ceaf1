/** Table-driven, from the cases of Hugging Face tokenizers/src/tokenizer/added_vocabulary.rs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddedTokenSplitter, type AddedTokenPattern } from '../../src/tokenizer/added-token-splitter.js';

type Piece = string | number;

function split(splitter: AddedTokenSplitter, text: string): Piece[] {
  const pieces: Piece[] = [];
  splitter.split(text, (t) => pieces.push(t), (id) => pieces.push(id));
  return pieces;
}

const token = (id: number, content: string, options: Partial<AddedTokenPattern> = {}): AddedTokenPattern => ({
  id, content, lstrip: false, rstrip: false, singleWord: false, ...options,
});

describe('AddedTokenSplitter', () => {
  it('cuts out every occurrence and keeps the text between', () => {
    const s = new AddedTokenSplitter([token(0, '[CLS]'), token(1, '[SEP]'), token(2, 'name')]);
    assert.deepEqual(split(s, '[CLS] My name is Anthony [SEP]'), [0, ' My ', 2, ' is Anthony ', 1]);
  });

  it('matches leftmost-longest', () => {
    const spaces = [2, 3, 4].map((n) => token(n, ' '.repeat(n)));
    const s = new AddedTokenSplitter(spaces);
    assert.deepEqual(split(s, 'a' + ' '.repeat(9) + 'b'), ['a', 4, 4, ' b']);
    const t = new AddedTokenSplitter([token(0, 'ab'), token(1, 'abc'), token(2, 'bcd')]);
    assert.deepEqual(split(t, 'xabcd'), ['x', 1, 'd']);
  });

  it('lstrip / rstrip swallow the whitespace around the token', () => {
    const s = new AddedTokenSplitter([token(0, 'my', { lstrip: true, rstrip: true }), token(1, 'name')]);
    assert.deepEqual(split(s, '[cls] my name'), ['[cls]', 0, 1]);
    const u = new AddedTokenSplitter([token(0, '<mask>', { lstrip: true, rstrip: true, singleWord: true })]);
    assert.deepEqual(split(u, 'Hi <mask> there\t<mask>\t<mask>\u2000'), ['Hi', 0, 'there', 0, 0]);
  });

  it('single_word tokens do not match glued to a word character (unicode \\w)', () => {
    const s = new AddedTokenSplitter([token(0, '<mask>', { singleWord: true })]);
    assert.deepEqual(split(s, '<mask> My name <mask> A<mask> <mask>ony <mask>'),
      [0, ' My name ', 0, ' A<mask> <mask>ony ', 0]);
    assert.deepEqual(split(s, '<mask>, <mask>- \u25cc\u0330<mask>'), [0, ', ', 0, '- \u25cc\u0330<mask>']);
  });

  it('passes text through when it has no tokens', () => {
    const empty = new AddedTokenSplitter([]);
    assert.equal(empty.isEmpty, true);
    assert.deepEqual(split(empty, 'abc'), ['abc']);
    assert.deepEqual(split(empty, ''), []);
    assert.deepEqual(split(new AddedTokenSplitter([token(0, '')]), 'abc'), ['abc'], 'empty contents are ignored');
  });

  it('escapes regular-expression characters in token contents', () => {
    const s = new AddedTokenSplitter([token(7, '<|end.of|text|>'), token(8, '(a+)*')]);
    assert.deepEqual(split(s, 'x<|end.of|text|>y(a+)*<|endXof|text|>'), ['x', 7, 'y', 8, '<|endXof|text|>']);
  });
});
