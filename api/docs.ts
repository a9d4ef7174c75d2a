// GET /docs: a readable API reference rendered on the server from the OpenAPI document (no CDN, no script).
const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]!));

type Schema = Record<string, unknown>;
type Doc = { info: { title: string; version: string; description?: string }; paths?: Record<string, Record<string, Schema>>; components?: { schemas?: Record<string, Schema> } };

function resolveRef(doc: Doc, s: Schema | undefined): Schema | undefined {
  const ref = s?.$ref;
  if (typeof ref === 'string') return doc.components?.schemas?.[ref.replace('#/components/schemas/', '')] ?? s;
  return s;
}

function typeOf(doc: Doc, raw: Schema | undefined): string {
  const s = resolveRef(doc, raw);
  if (!s) return 'any';
  const ref = typeof raw?.$ref === 'string' ? raw.$ref.replace('#/components/schemas/', '') : undefined;
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map((x) => typeOf(doc, x)).join(' | ');
  if (s.type === 'array') return `${typeOf(doc, s.items as Schema)}[]`;
  const t = Array.isArray(s.type) ? s.type.join(' | ') : typeof s.type === 'string' ? s.type : 'any';
  return ref ? `${ref} (${t})` : t;
}

function constraints(s: Schema): string {
  const parts: string[] = [];
  for (const k of ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'minLength', 'maxLength', 'format']) {
    const v = s[k];
    if (v !== undefined) parts.push(`${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(', ');
}

function schemaTable(doc: Doc, raw: Schema | undefined, depth = 0): string {
  const s = resolveRef(doc, raw);
  if (!s || depth > 3) return '';
  const props = s.properties as Record<string, Schema> | undefined;
  // A union of objects (POST /campaigns: one object per method): one table per variant, named by its tag.
  const variants = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  if (!props && Array.isArray(variants) && variants.some((v) => resolveRef(doc, v)?.properties)) {
    const tag = (v: Schema, i: number): string => {
      const m = (resolveRef(doc, v)?.properties as Record<string, Schema> | undefined)?.method;
      const value: unknown = m?.const ?? (Array.isArray(m?.enum) ? (m.enum as unknown[])[0] : undefined);
      return value === undefined ? `variant ${i + 1}` : `method ${JSON.stringify(value)}`;
    };
    return `${s.description && depth === 0 ? `<p>${esc(s.description)}</p>` : ''}<p>one of:</p>` +
      variants.map((v, i) => `<h5>${esc(tag(v, i))}</h5>${schemaTable(doc, v, depth + 1)}`).join('');
  }
  if (!props) return `<p><code>${esc(typeOf(doc, raw))}</code>${s.description ? ` — ${esc(s.description)}` : ''}</p>`;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const rows = Object.entries(props).map(([name, p]) => {
    const inner = resolveRef(doc, p) ?? {};
    const nested = inner.properties ? schemaTable(doc, p, depth + 1) : '';
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td>
<td><code>${esc(typeOf(doc, p))}</code></td><td>${esc(constraints(inner))}${inner.description ? `<div>${esc(inner.description)}</div>` : ''}${nested}</td></tr>`;
  }).join('');
  return `${s.description && depth === 0 ? `<p>${esc(s.description)}</p>` : ''}<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderDocs(doc: Doc): string {
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const anchor = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');
      toc.push(`<li><a href="#${anchor}"><span class="verb ${method}">${method.toUpperCase()}</span> ${esc(path)}</a> ${esc(op.summary ?? '')}</li>`);
      const params = (op.parameters as Schema[] | undefined) ?? [];
      const paramRows = params.map((p) => {
        const schema = p.schema as Schema | undefined;
        return `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${esc(p.in)}</td><td><code>${esc(typeOf(doc, schema))}</code></td>
<td>${esc(constraints(schema ?? {}))}${schema?.description ? `<div>${esc(schema.description)}</div>` : ''}</td></tr>`;
      }).join('');
      const body = op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined;
      const bodyHtml = body?.content ? Object.entries(body.content).map(([type, c]) => `<h4>Body <code>${esc(type)}</code></h4>${schemaTable(doc, c.schema)}`).join('') : '';
      const responses = Object.entries((op.responses as Record<string, { description?: string; content?: Record<string, unknown> }>) ?? {})
        .map(([code, r]) => `<li><b>${esc(code)}</b> ${esc(r.description ?? '')}${r.content ? ` <span class="muted">(${esc(Object.keys(r.content).join(', '))})</span>` : ''}</li>`).join('');
      const secured = Array.isArray(op.security) && op.security.length > 0;
      ops.push(`<section id="${anchor}" class="op"><h3><span class="verb ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code>${secured ? ' <span class="lock">bearer token</span>' : ' <span class="public">public</span>'}</h3>
<p><b>${esc(op.summary ?? '')}</b></p>${op.description ? `<p>${esc(op.description)}</p>` : ''}
${paramRows ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>notes</th></tr></thead><tbody>${paramRows}</tbody></table>` : ''}
${bodyHtml}<h4>Responses</h4><ul>${responses}</ul></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)} reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/dashboard.css"></head>
<body><header class="top"><a href="/ui">dashboard</a> · <a href="/openapi.json">openapi.json</a></header><main>
<h1>${esc(doc.info.title)} <span class="muted">${esc(doc.info.version)}</span></h1><p>${esc(doc.info.description ?? '')}</p>
<p>Errors are JSON <code>{"error": "...", "issues": [{"field", "message"}]}</code>: 400 names each bad field, 401 = missing or invalid token,
403 = revoked token, 404 = unknown campaign or problem, 409 = the campaign has already finished.</p>
<ul class="toc">${toc.join('')}</ul>${ops.join('')}</main></body></html>`;
}
