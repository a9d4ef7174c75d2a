// Python string constants read without Python (core/prompts/pyliteral.ts) and str.format (core/egcfg/pyrepr.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pyStringConstant } from '../../core/prompts/pyliteral.ts';
import { pyFormat } from '../../core/egcfg/pyrepr.ts';

describe('pyStringConstant', { timeout: 60_000 }, () => {
  it('single, double, triple quotes; escapes; line continuation; raw; adjacent literals in parentheses', () => {
    const src = [
      "A = 'it\\'s'", 'B = "tab\\there \\x41\\u00e9\\101"', 'C = """\\', 'line one', 'two\\n"""', "D = r'\\n raw'",
      'E = (', '    "one "  # comment', "    'two'", ')', 'F = "x"  # trailing comment', 'G = 3', 'H = "a" + "b"', 'CRLF = """a\r\nb"""',
    ].join('\n');
    assert.equal(pyStringConstant(src, 'A'), "it's");
    assert.equal(pyStringConstant(src, 'B'), 'tab\there Aé' + 'A');
    assert.equal(pyStringConstant(src, 'C'), 'line one\ntwo\n');
    assert.equal(pyStringConstant(src, 'D'), '\\n raw');
    assert.equal(pyStringConstant(src, 'E'), 'one two');
    assert.equal(pyStringConstant(src, 'F'), 'x');
    assert.equal(pyStringConstant(src, 'CRLF'), 'a\nb');
    assert.throws(() => pyStringConstant(src, 'G'), /G is not a string literal/);
    assert.throws(() => pyStringConstant(src, 'H'), /H is not a plain string literal/);
    assert.throws(() => pyStringConstant(src, 'Z'), /Z is not defined/);
    assert.throws(() => pyStringConstant('X = "open', 'X'), /newline inside|unterminated/);
  });
});

describe('pyFormat', { timeout: 60_000 }, () => {
  it('keyword fields, doubled braces, values not expanded again; errors as Python raises them', () => {
    assert.equal(pyFormat('a {x} {{y}} {z}', { x: '{z}', z: '$1' }), 'a {z} {y} $1');
    assert.throws(() => pyFormat('{missing}', {}), /no value for '\{missing\}'/);
    assert.throws(() => pyFormat('{0}', {}), /unsupported field/);
    assert.throws(() => pyFormat('a } b', {}), /single '\}'/);
  });
});
