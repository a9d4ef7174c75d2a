// The dashboard's start-campaign form, generated from the zod schema POST /campaigns validates with
// (api/campaign-input.ts campaignFieldsSchema: every method's fields of its campaignBodySchema, built on campaigns/options.ts): which fields it shows, each field's
// input kind, choices, bounds and default come from the schema, so the form cannot drift from the API. One fieldset
// per method (baseline, eg-cfg, btp); the script enables the chosen method's fieldset (a disabled fieldset's inputs are not sent) and shows
// each validation error beside its field.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { z } from 'zod';
import { formFields } from '../campaigns/options.ts';
import { defOf, unwrapOption } from '../campaigns/options/field.ts';
import { campaignFieldsSchema } from './campaign-input.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

type Shape = typeof campaignFieldsSchema.shape;
type FieldName = keyof Shape;

/** Fields shown for every method, then per method: marked `form` in the option modules (campaigns/options/). */
const form = formFields();
const inBody = (names: string[]): FieldName[] => names.filter((n): n is FieldName => n in campaignFieldsSchema.shape);
export const commonFields = inBody(form.common);
export const methodFields = { baseline: inBody(form.methods.baseline), 'eg-cfg': inBody(form.methods['eg-cfg']), btp: inBody(form.methods.btp) };

export interface FieldSpec {
  name: string;
  kind: 'enum' | 'number' | 'integer' | 'boolean' | 'numbers' | 'text';
  options?: string[];
  min?: number;
  max?: number;
  defaultValue?: unknown;
  optional: boolean;
  description?: string;
}


/** What a schema field asks for: unwraps default / optional / nullable, reads enum options and number bounds. */
export function fieldSpec(name: string, schema: z.ZodType): FieldSpec {
  const { inner: s, optional, defaultValue } = unwrapOption(schema);
  const d = defOf(s);
  const description = schema.description;
  const base = { name, optional, ...(defaultValue === undefined ? {} : { defaultValue }), ...(description ? { description } : {}) };
  if (d.type === 'enum') return { ...base, kind: 'enum', options: Object.values(d.entries ?? {}).map(String) };
  if (d.type === 'boolean') return { ...base, kind: 'boolean' };
  if (s instanceof z.ZodNumber) {
    // Bounds beyond the safe integers are z.int()'s implicit ones, not the option's.
    const { minValue: min, maxValue: max, isInt } = s;
    return { ...base, kind: isInt ? 'integer' : 'number', ...(min !== null && Number.isFinite(min) && min > Number.MIN_SAFE_INTEGER ? { min } : {}), ...(max !== null && Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER ? { max } : {}) };
  }
  if (d.type === 'array' && d.element && defOf(d.element).type === 'number') return { ...base, kind: 'numbers' };
  return { ...base, kind: 'text' };
}

const spec = (name: FieldName): FieldSpec => fieldSpec(name, campaignFieldsSchema.shape[name]);

/** Values the form starts with where the schema's default is not the demo's (a short simulated run). */
const formDefaults: Record<string, unknown> = { modelName: 'simulated-deepseek', maxProblems: 10 };

function input(f: FieldSpec, placeholder: Record<string, string>): Html {
  const value = formDefaults[f.name] ?? f.defaultValue;
  const common = { name: f.name, id: `field-${f.name}` };
  switch (f.kind) {
    case 'enum':
      return html`<select name="${common.name}" id="${common.id}" data-kind="text">${f.optional && value === undefined ? html`<option value="">(default)</option>` : ''}${(f.options ?? []).map((o) => html`<option${o === value ? ' selected' : ''}>${o}</option>`)}</select>`;
    case 'boolean':
      return html`<input type="checkbox" name="${common.name}" id="${common.id}" data-kind="boolean" value="true"${value === true ? ' checked' : ''}>`;
    case 'number':
    case 'integer':
      return html`<input type="number" name="${common.name}" id="${common.id}" data-kind="number" step="${f.kind === 'integer' ? '1' : 'any'}"${f.min === undefined ? '' : html` min="${f.min}"`}${f.max === undefined ? '' : html` max="${f.max}"`} value="${typeof value === 'number' ? value : ''}"${f.optional || value !== undefined ? '' : ' required'} placeholder="${placeholder[f.name] ?? (f.optional ? '(none)' : '')}">`;
    case 'numbers':
      return html`<input name="${common.name}" id="${common.id}" data-kind="numbers" value="${Array.isArray(value) ? value.join(', ') : ''}" placeholder="comma-separated numbers">`;
    case 'text':
      return html`<input name="${common.name}" id="${common.id}" data-kind="text" value="${typeof value === 'string' ? value : ''}"${f.optional || value !== undefined ? '' : ' required'} placeholder="${placeholder[f.name] ?? ''}">`;
  }
}

function field(name: FieldName, placeholder: Record<string, string>): Html {
  const f = spec(name);
  const bounds = f.min !== undefined || f.max !== undefined ? ` (${f.min ?? '…'}–${f.max ?? '…'})` : '';
  return html`<label title="${f.description ?? ''}${bounds}">${name}${f.optional ? '' : html` <span class="req">*</span>`} ${input(f, placeholder)}
<span class="field-error error" data-error-for="${name}" role="alert"></span></label>`;
}

/** The whole form. `simulatedAvailable`: without modelUrl the simulated model server answers. */
export function startForm(simulatedAvailable: boolean): Html {
  const placeholder: Record<string, string> = {
    modelUrl: simulatedAvailable ? 'empty: the simulated model server' : 'http://vllm:8000 (required)',
    grid: 'a grid name in data/egcfg, e.g. quick_grid', workDir: 'a folder name under btp/', baseModelDir: 'a model folder name',
  };
  const sets = (Object.keys(methodFields) as Array<keyof typeof methodFields>).map((m) => html`<fieldset class="grid method-fields" data-method="${m}"${m === 'baseline' ? '' : ' disabled hidden'}>
<legend>${m} options</legend>${methodFields[m].map((n) => field(n, placeholder))}</fieldset>`);
  return html`<form id="start-form" class="card" novalidate>
<div class="grid">${commonFields.map((n) => field(n, placeholder))}</div>
${sets}
<div class="actions"><button type="submit" id="start-button">Start campaign</button></div>
<div id="form-errors" class="error" role="alert"></div></form>`;
}
