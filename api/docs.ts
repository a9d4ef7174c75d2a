// GET /docs: a readable API reference rendered on the server from the OpenAPI document (no CDN, no script). Every
// value from the document goes through Hono's `html` tag, which escapes it.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The document @hono/zod-openapi generates (OpenAPI 3.1). */
export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;
type SchemaOrRef = NonNullable<NonNullable<OpenApiDocument['components']>['schemas']>[string];
type Ref = Extract<SchemaOrRef, { $ref: string; summary?: string }>;
type Schema = Exclude<SchemaOrRef, Ref>;
type PathItem = NonNullable<OpenApiDocument['paths']>[string];
type Operation = NonNullable<PathItem['get']>;
type Parameter = NonNullable<Operation['parameters']>[number];
interface ResponseLike { description?: string; content?: Record<string, unknown> }

const verbs = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type Verb = (typeof verbs)[number];
const isVerb = (key: string): key is Verb => (verbs as readonly string[]).includes(key);

const isRef = (s: SchemaOrRef): s is Ref => typeof s.$ref === 'string';
const refName = (s: SchemaOrRef | undefined): string | undefined => (s && isRef(s) ? s.$ref.replace('#/components/schemas/', '') : undefined);

/** A schema, or the component schema a reference names (a reference to nothing stands for itself). */
function resolveRef(doc: OpenApiDocument, s: SchemaOrRef | undefined): Schema | undefined {
  if (!s || !isRef(s)) return s;
  const target = doc.components?.schemas?.[refName(s)!] ?? s;
  return isRef(target) ? { $ref: target.$ref, ...(target.description === undefined ? {} : { description: target.description }) } : target;
}

function typeOf(doc: OpenApiDocument, raw: SchemaOrRef | undefined): string {
  const s = resolveRef(doc, raw);
  if (!s) return 'any';
  const ref = refName(raw);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.anyOf)) return s.anyOf.map((x) => typeOf(doc, x)).join(' | ');
  if (s.type === 'array') return `${typeOf(doc, s.items)}[]`;
  const t = Array.isArray(s.type) ? s.type.join(' | ') : typeof s.type === 'string' ? s.type : 'any';
  return ref ? `${ref} (${t})` : t;
}

function constraints(s: Schema): string {
  const parts: string[] = [];
  for (const k of ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'minLength', 'maxLength', 'format'] as const) {
    const v = s[k];
    if (v !== undefined) parts.push(`${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(', ');
}

/** A union of objects (POST /campaigns: one object per method): one table per variant, named by its tag. */
function variantTables(doc: OpenApiDocument, s: Schema, variants: SchemaOrRef[], depth: number): Html {
  const tag = (v: SchemaOrRef, i: number): string => {
    const m = resolveRef(doc, resolveRef(doc, v)?.properties?.method);
    const value: unknown = m?.const ?? (Array.isArray(m?.enum) ? m.enum[0] : undefined);
    return value === undefined ? `variant ${i + 1}` : `method ${JSON.stringify(value)}`;
  };
  return html`${s.description && depth === 0 ? html`<p>${s.description}</p>` : ''}<p>one of:</p>${
    variants.map((v, i) => html`<h5>${tag(v, i)}</h5>${schemaTable(doc, v, depth + 1)}`)}`;
}

function schemaTable(doc: OpenApiDocument, raw: SchemaOrRef | undefined, depth = 0): Html {
  const s = resolveRef(doc, raw);
  if (!s || depth > 3) return html``;
  const props = s.properties;
  const variants = s.oneOf ?? s.anyOf;
  if (!props && Array.isArray(variants) && variants.some((v) => resolveRef(doc, v)?.properties)) return variantTables(doc, s, variants, depth);
  if (!props) return html`<p><code>${typeOf(doc, raw)}</code>${s.description ? html` — ${s.description}` : ''}</p>`;
  const required = new Set(s.required ?? []);
  const rows = Object.entries(props).map(([name, p]) => {
    const inner: Schema = resolveRef(doc, p) ?? {};
    const nested = inner.properties ? schemaTable(doc, p, depth + 1) : '';
    return html`<tr><td><code>${name}</code>${required.has(name) ? html` <span class="req">required</span>` : ''}</td>
<td><code>${typeOf(doc, p)}</code></td><td>${constraints(inner)}${inner.description ? html`<div>${inner.description}</div>` : ''}${nested}</td></tr>`;
  });
  return html`${s.description && depth === 0 ? html`<p>${s.description}</p>` : ''}<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function parameterRow(doc: OpenApiDocument, p: Parameter): Html {
  if (!('in' in p)) return html``;
  const schema = resolveRef(doc, p.schema);
  return html`<tr><td><code>${p.name}</code>${p.required ? html` <span class="req">required</span>` : ''}</td><td>${p.in}</td><td><code>${typeOf(doc, p.schema)}</code></td>
<td>${constraints(schema ?? {})}${schema?.description ? html`<div>${schema.description}</div>` : ''}</td></tr>`;
}

function operation(doc: OpenApiDocument, path: string, method: Verb, op: Operation, anchor: string): Html {
  const params = op.parameters ?? [];
  const body = op.requestBody && 'content' in op.requestBody ? op.requestBody.content : undefined;
  const bodyHtml = body ? Object.entries(body).map(([type, c]) => html`<h4>Body <code>${type}</code></h4>${schemaTable(doc, c.schema)}`) : '';
  const responses = Object.entries<ResponseLike>(op.responses ?? {})
    .map(([code, r]) => html`<li><b>${code}</b> ${r.description ?? ''}${r.content ? html` <span class="muted">(${Object.keys(r.content).join(', ')})</span>` : ''}</li>`);
  const secured = Array.isArray(op.security) && op.security.length > 0;
  return html`<section id="${anchor}" class="op"><h3><span class="verb ${method}">${method.toUpperCase()}</span> <code>${path}</code>${secured ? html` <span class="lock">bearer token</span>` : html` <span class="public">public</span>`}</h3>
<p><b>${op.summary ?? ''}</b></p>${op.description ? html`<p>${op.description}</p>` : ''}
${params.length ? html`<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>notes</th></tr></thead><tbody>${params.map((p) => parameterRow(doc, p))}</tbody></table>` : ''}
${bodyHtml}<h4>Responses</h4><ul>${responses}</ul></section>`;
}

export function renderDocs(doc: OpenApiDocument): Html {
  const ops: Html[] = [];
  const toc: Html[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of Object.keys(item).filter(isVerb)) {
      const op = item[method];
      if (!op) continue;
      const anchor = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');
      toc.push(html`<li><a href="#${anchor}"><span class="verb ${method}">${method.toUpperCase()}</span> ${path}</a> ${op.summary ?? ''}</li>`);
      ops.push(operation(doc, path, method, op, anchor));
    }
  }
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${doc.info.title} reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/dashboard.css"></head>
<body><header class="top"><a href="/ui">dashboard</a> · <a href="/openapi.json">openapi.json</a></header><main>
<h1>${doc.info.title} <span class="muted">${doc.info.version}</span></h1><p>${doc.info.description ?? ''}</p>
<p>Errors are JSON <code>{"error": "...", "issues": [{"field", "message"}]}</code>: 400 names each bad field, 401 = missing or invalid token,
403 = revoked token, 404 = unknown campaign or problem, 409 = the campaign has already finished.</p>
<ul class="toc">${toc}</ul>${ops}</main></body></html>`;
}
