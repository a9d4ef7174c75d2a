// Python-compatible text forms of numbers, for names and seeds that must match what the authors' Python code would
// produce (repr(float), json.dumps). PURE and deterministic: safe in Temporal workflows.

/**
 * Python's repr() of a float: shortest round-trip digits; scientific notation when the decimal exponent is < -4 or
 * >= 16, with an explicit sign and at least two exponent digits (1e-05, 1.5e+16); otherwise fixed notation with at
 * least one fractional digit (1.0, 0.75, 100.0). Non-finite: inf, -inf, nan.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const e = Math.abs(x).toExponential(); // shortest round-trip digits, e.g. "7.5e-1", "1e+16"
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e);
  if (!m) throw new Error(`pyFloatRepr: unexpected exponential form ${e}`);
  const digits = m[1]! + (m[2] ?? '');
  const exp = Number(m[3]);
  if (exp < -4 || exp >= 16) {
    const mant = m[2] === undefined ? m[1]! : `${m[1]!}.${m[2]}`;
    const absExp = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${absExp}`;
  }
  const point = exp + 1; // digits before the decimal point
  let body: string;
  if (point <= 0) body = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) body = `${digits}${'0'.repeat(point - digits.length)}.0`;
  else body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + body;
}

/** A value json.dumps would print: float (always float semantics), int, bool, None. */
export type PyJsonScalar = { float: number } | { int: number } | boolean | null;

/** json.dumps of a flat list with the default separators: `[0.7, 3, 2, false]`. */
export function pyJsonDumpsList(items: PyJsonScalar[]): string {
  const parts = items.map((v) => {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if ('int' in v) {
      if (!Number.isSafeInteger(v.int)) throw new RangeError(`pyJsonDumpsList: ${v.int} is not a safe integer`);
      return String(v.int);
    }
    if (Number.isNaN(v.float)) return 'NaN';
    if (v.float === Infinity) return 'Infinity';
    if (v.float === -Infinity) return '-Infinity';
    return pyFloatRepr(v.float);
  });
  return `[${parts.join(', ')}]`;
}

/**
 * Python's str.format with keyword arguments only: `{name}` is replaced by its value (never expanded again), `{{` and
 * `}}` are literal braces. A field with no value, a conversion/format spec or a positional field is an error.
 */
export function pyFormat(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}|[{}]/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    if (field === undefined) throw new RangeError(`pyFormat: single '${m}' in the template`);
    if (!/^[A-Za-z_]\w*$/.test(field)) throw new RangeError(`pyFormat: unsupported field '{${field}}'`);
    const v = values[field];
    if (v === undefined) throw new RangeError(`pyFormat: no value for '{${field}}'`);
    return v;
  });
}
