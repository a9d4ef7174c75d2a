// The CLI's flags, declared once: each flag table is the `node:util` parseArgs declaration the command parses with
// and, with its help and value name, what the commander front (cli/program.ts) builds help, typo suggestions and
// completion from. The campaign flags are derived from the option schemas (campaigns/options/): their names, help,
// bounds and defaults, and how a flag's text becomes an option. Light on purpose (zod and the schemas only).
import { resolve } from 'node:path';
import { z } from 'zod';
import { OptionsError } from '../campaigns/options.ts';
import { cliRegistry, defOf, kebab, unwrapOption, type CliMeta } from '../campaigns/options/field.ts';

export interface FlagDecl {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** The value's name in the help (string flags). */
  value?: string;
  help: string;
  /** The help section it is listed under. */
  group?: string;
  /** The campaign option it sets, and how (flags derived from the option schemas). */
  field?: string;
  parse?: NonNullable<CliMeta['parse']>;
}
export type FlagTable = Record<string, FlagDecl>;
export type FlagValues = Record<string, string | boolean | string[] | undefined>;


/** A number schema's bounds as the help shows them: [1..64] for integers, (0..1] where a bound is exclusive. */
function numberBounds(s: z.ZodNumber): string | undefined {
  const isInt = s.isInt;
  let lo = '', hi = '', open = '[', close = ']';
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  for (const c of s.def.checks ?? []) {
    if (c instanceof z.core.$ZodCheckGreaterThan && finite(c._zod.def.value)) {
      const { value, inclusive } = c._zod.def;
      if (isInt && !inclusive) lo = String(value + 1);
      else { lo = String(value); open = inclusive ? '[' : '('; }
    } else if (c instanceof z.core.$ZodCheckLessThan && finite(c._zod.def.value)) {
      const { value, inclusive } = c._zod.def;
      if (isInt && !inclusive) hi = String(value - 1);
      else { hi = String(value); close = inclusive ? ']' : ')'; }
    }
  }
  return lo || hi ? `${open}${lo}..${hi}${close}` : undefined;
}

/** What an option schema holds, for the help: the inner type, its choices and bounds, its default. */
export function schemaInfo(schema: z.core.$ZodType): { type: string; choices?: string[]; bounds?: string; defaultValue?: unknown; optional: boolean } {
  const { inner: s, optional, defaultValue } = unwrapOption(schema);
  const d = defOf(s);
  const base = { type: d.type, optional, ...(defaultValue === undefined ? {} : { defaultValue }) };
  if (d.type === 'enum') return { ...base, choices: Object.values(d.entries ?? {}).map(String) };
  if (s instanceof z.ZodNumber) return { ...base, bounds: numberBounds(s) };
  if (d.type === 'array' && d.element) return { ...base, type: `array of ${defOf(d.element).type}` };
  return base;
}

const showDefault = (v: unknown): string => (Array.isArray(v) ? v.join(',') : String(v));

/** The flags of a group of option fields (one method's module), in the schema's order; `cli: false` fields have none. */
export function schemaFlags(fields: Record<string, z.ZodType>, group: string, omit: readonly string[] = []): FlagTable {
  const table: FlagTable = {};
  for (const [field, schema] of Object.entries(fields)) {
    const meta = cliRegistry.get(schema) ?? {};
    if (meta.cli === false || omit.includes(field)) continue;
    const info = schemaInfo(schema);
    const parse = meta.parse ?? (info.type === 'number' ? 'number' : info.type === 'boolean' ? 'negate' : 'text');
    const value = meta.value ?? (info.choices && info.choices.join('|').length <= 40 ? info.choices.join('|') : info.type === 'number' ? 'N' : 'X');
    const bounds = info.bounds ? ` ${info.bounds}` : '';
    const choices = info.choices && value !== info.choices.join('|') ? ` (${info.choices.join(', ')})` : '';
    const dflt = info.defaultValue !== undefined && parse !== 'negate' ? ` (default: ${showDefault(info.defaultValue)})` : '';
    const help = `${schema.description ?? field}${choices}${bounds}${dflt}`;
    table[meta.flag ?? kebab(field)] = parse === 'negate'
      ? { type: 'boolean', help, group, field, parse }
      : { type: 'string', value, help, group, field, parse, ...(parse === 'files' ? { multiple: true } : {}) };
  }
  return table;
}

export const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new OptionsError([{ field: flag, message: `'${v}' is not a number` }]);
  return n;
};

function convert(flag: string, decl: FlagDecl, v: string | boolean | string[]): unknown {
  const text = typeof v === 'string' ? v : undefined;
  switch (decl.parse) {
    case 'number': return num(text, `--${flag}`);
    case 'negate': return v === true ? false : undefined;
    case 'path': return text === undefined ? undefined : resolve(text);
    case 'files': return Array.isArray(v) && v.length > 0 ? v.join(',') : undefined;
    case 'strings': return text?.split(',').map((x) => x.trim()).filter(Boolean);
    case 'horizon': return text === 'inf' || text === 'None' ? null : num(text, `--${flag}`);
    case 'list': return text?.split(',').map((x) => {
      const n = Number(x.trim());
      if (x.trim() === '' || !Number.isFinite(n)) throw new OptionsError([{ field: `--${flag}`, message: `'${text}' is not a comma-separated list of numbers` }]);
      return n;
    });
    default: return v;
  }
}

/** The campaign options the given flags set (only those given: an absent flag leaves the option's default). */
export function optionsFromFlags(values: FlagValues, table: FlagTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, decl] of Object.entries(table)) {
    const v = values[flag];
    if (!decl.field || v === undefined) continue;
    const converted = convert(flag, decl, v);
    if (converted !== undefined) out[decl.field] = converted;
  }
  return out;
}

/** A flag's text value, or undefined (for the CLI-only flags read by name). */
export const str = (values: FlagValues, flag: string): string | undefined => (typeof values[flag] === 'string' ? values[flag] : undefined);
