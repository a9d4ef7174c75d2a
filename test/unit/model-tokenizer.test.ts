// The simulated server's tokenizer: exact round trips and ids that do not depend on the order things were seen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EOS_ID, EOS_TEXT, SimTokenizer, pieces } from '../../activities/model/sim-tokenizer.ts';

test('pieces cover the text exactly', { timeout: 60_000 }, () => {
  const s = 'def f(x_1, y):\r\n\treturn  x_1**2 + 10 # é 🚀\n';
  assert.equal(pieces(s).join(''), s);
  assert.deepEqual(pieces('x_1**2'), ['x_1', '*', '*', '2']);
  assert.deepEqual(pieces('a\r\n  b'), ['a', '\r\n', '  ', 'b']);
});

test('encode/decode round-trip every kind of string', { timeout: 60_000 }, () => {
  const tok = new SimTokenizer(['def add(a, b):\n    return a + b']);
  const cases = ['', ' ', '\n\n\n', 'def add(a, b):\n    return a + b', 'zzz_unknown_identifier 12345678', 'ünïcødé 🚀 \u{10FFFF} \uD800 lone', '\t\t\t\tx', 'a'.repeat(1000)];
  for (const s of cases) assert.equal(tok.decode(tok.encode(s)), s, JSON.stringify(s));
  let rnd = 12345;
  for (let i = 0; i < 200; i++) {
    let s = '';
    for (let j = 0; j < 40; j++) { rnd = (rnd * 1103515245 + 12345) % 2 ** 31; s += String.fromCharCode(32 + (rnd % 95)); }
    assert.equal(tok.decode(tok.encode(s)), s);
  }
});

test('known pieces are one token; unknown ones fall back to characters', { timeout: 60_000 }, () => {
  const tok = new SimTokenizer(['similar_elements']);
  assert.equal(tok.encode('similar_elements').length, 1);
  assert.equal(tok.encode('return').length, 1);
  assert.equal(tok.encode('    ').length, 1);
  assert.equal(tok.encode('qwxz').length, 4);
});

test('encode gives exactly the units the model emits one by one, in linear time', { timeout: 60_000 }, () => {
  const tok = new SimTokenizer(['in', 'total', 'x1', 'ab_cd']);
  const byUnits = (t: string) => { const out: number[] = []; for (let i = 0; i < t.length;) { const u = tok.unitAt(t, i)!; out.push(u.id); i += u.text.length; } return out; };
  const cases = ['xin', 'qtotal', 'zz12345abc', 'a1000_in', '_ab_cd', 'ab_cdx', ' '.repeat(40), 'q'.repeat(50) + 'in', 'def xintotal(n9990):'];
  let rnd = 7;
  const alphabet = 'intoalxbcd_019 ';
  for (let k = 0; k < 300; k++) {
    let t = '';
    for (let j = 0; j < 30; j++) { rnd = (rnd * 1103515245 + 12345) % 2 ** 31; t += alphabet[rnd % alphabet.length]; }
    cases.push(t);
  }
  for (const t of cases) assert.deepEqual(tok.encode(t), byUnits(t), JSON.stringify(t));
  const long = 'y'.repeat(200_000);
  assert.equal(tok.decode(tok.encode(long)), long);
});

test('ids are the same whatever order the texts came in', { timeout: 60_000 }, () => {
  const a = new SimTokenizer(['alpha beta', 'gamma_delta = 3']);
  const b = new SimTokenizer(['gamma_delta = 3', 'alpha beta', 'alpha']);
  for (const s of ['alpha', 'beta', 'gamma_delta', 'return']) assert.deepEqual(a.encode(s), b.encode(s));
});

test('end-of-text decodes to its marker or to nothing; an unknown id is a RangeError', { timeout: 60_000 }, () => {
  const tok = new SimTokenizer();
  assert.equal(tok.decode([EOS_ID]), EOS_TEXT);
  assert.equal(tok.decode([...tok.encode('x'), EOS_ID], true), 'x');
  assert.throws(() => tok.decode([2 ** 31 - 2]), /token id 2147483646 is not in the simulated vocabulary/);
});
