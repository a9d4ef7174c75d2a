// The dashboard's sign-in: GET /login (the form), POST /login (sets the token cookie: HttpOnly, SameSite=Strict),
// POST /logout, as a Hono sub-app that ./app.ts mounts with app.route.
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AppEnv } from './app-env.ts';
import type { ApiDeps } from './app-options.ts';
import { TOKEN_COOKIE } from './auth.ts';
import { parseForm } from './errors.ts';
import { verifyApiToken } from './tokens.ts';

/**
 * Only same-origin paths after login: one leading '/', then no second '/' or '\\' (browsers read '/\\host' as
 * '//host'), no control characters or whitespace (a tab or newline inside '/\t/host' is dropped by the URL parser),
 * and the path must resolve to this origin.
 */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 2048 || !next.startsWith('/') || next[1] === '/' || next[1] === '\\') return '/ui';
  // eslint-disable-next-line no-control-regex -- matching control characters is the point of this check
  if (/[\u0000-\u0020\u007f\\]/.test(next)) return '/ui';
  try {
    const base = new URL('http://egcfg.invalid/');
    const u = new URL(next, base);
    if (u.origin !== base.origin) return '/ui';
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return '/ui';
  }
}

function loginPage(next: string | undefined, error: string | undefined): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>egcfg · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/dashboard.css"></head>
<body><main class="narrow"><h1>egcfg dashboard</h1>
<form method="post" action="/login" class="card" id="login-form">
<p>Paste an API token (create one with <code>npx egcfg tokens create --name me</code>).</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<label>Token <input type="password" name="token" id="token" autocomplete="off" required></label>
<input type="hidden" name="next" value="${safeNext(next)}">
<button type="submit">Sign in</button></form>
<p class="muted"><a href="/docs">API reference</a> · <a href="/healthz">health</a></p></main></body></html>`;
}

export function loginRoutes(deps: ApiDeps): Hono<AppEnv> {
  const { db, opts } = deps;
  const app = new Hono<AppEnv>();
  app.get('/login', (c) => c.html(loginPage(c.req.query('next'), c.req.query('error'))));
  app.post('/login', async (c) => {
    const form = await parseForm(c);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const check = token ? await verifyApiToken(db, token) : { ok: false as const, reason: 'invalid' as const };
    if (!check.ok) {
      const msg = check.reason === 'revoked' ? 'this token has been revoked' : 'invalid token';
      return c.html(loginPage(next, msg), check.reason === 'revoked' ? 403 : 401);
    }
    setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', secure: opts.secureCookies ?? false, maxAge: 30 * 24 * 3600 });
    return c.redirect(next, 303);
  });
  app.post('/logout', (c) => { deleteCookie(c, TOKEN_COOKIE, { path: '/' }); return c.redirect('/login', 303); });
  return app;
}
