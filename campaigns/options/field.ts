// How one campaign option is described once: its zod schema (type, bounds, default), a one-line help (zod
// `.describe()`, which the OpenAPI document also shows) and how the CLI spells it (a registry of its own, so nothing
// CLI-specific leaks into the API). The CLI flags, their help and the dashboard form are derived from these.
// Light on purpose: it imports zod only, so `egcfg --help` can load it without the platform.
import { z } from 'zod';

export interface CliMeta {
  /** The flag's long name (default: the field name in kebab-case). */
  flag?: string;
  /** The value's name in the help text (default: from the type: N, X, NAME, ...). */
  value?: string;
  /** Not a flag (API only, or set by the CLI itself). */
  cli?: false;
  /**
   * How the flag's text becomes the option: 'number' (default for number fields; `'x' is not a number`), 'list'
   * (comma-separated numbers), 'horizon' (N or inf), 'path' (resolved to an absolute path), 'files' (repeatable, joined
   * with ','), 'strings' (comma-separated names), 'negate' (a boolean flag that sets the option to false).
   */
  parse?: 'number' | 'list' | 'horizon' | 'path' | 'files' | 'strings' | 'negate' | 'text';
  /** Shown in the dashboard's start form: in its method's fieldset (true), or a common field in the baseline fieldset. */
  form?: true | 'baseline';
}

/** The CLI side of each option schema. */
export const cliRegistry = z.registry<CliMeta>();

/** An option: its schema with its one-line help, and how the CLI spells it. */
export function opt<T extends z.ZodType>(schema: T, help: string, cli: CliMeta = {}): T {
  const described = schema.describe(help);
  cliRegistry.add(described, cli);
  return described;
}

/** `numBeams` -> `num-beams`, `p2valueAlpha` -> `p2value-alpha`, `loraR` -> `lora-r`. */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The parts of a zod schema's definition the CLI help and the dashboard form read. */
export interface SchemaDef { type: string; innerType?: z.core.$ZodType; defaultValue?: unknown; entries?: Record<string, unknown>; element?: z.core.$ZodType; options?: unknown[] }

/** Those parts, read through zod 4's public classes (instanceof narrows each to its typed `def`). */
export function defOf(s: z.core.$ZodType): SchemaDef {
  if (s instanceof z.ZodDefault) return { type: 'default', innerType: s.def.innerType, defaultValue: s.def.defaultValue };
  if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return { type: s.def.type, innerType: s.def.innerType };
  if (s instanceof z.ZodEnum) return { type: 'enum', entries: s.def.entries, options: s.options };
  if (s instanceof z.ZodArray) return { type: 'array', element: s.def.element };
  return { type: s._zod.def.type };
}

/** An option's schema without its default / optional / nullable wrappers, with what they said. */
export function unwrapOption(schema: z.core.$ZodType): { inner: z.core.$ZodType; optional: boolean; defaultValue: unknown } {
  let inner = schema;
  let optional = false;
  let defaultValue: unknown;
  for (;;) {
    const d = defOf(inner);
    if (d.type === 'default' && d.innerType) { defaultValue = d.defaultValue; inner = d.innerType; continue; }
    if ((d.type === 'optional' || d.type === 'nullable') && d.innerType) { optional = true; inner = d.innerType; continue; }
    return { inner, optional, defaultValue };
  }
}
