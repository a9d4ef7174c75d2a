// Who a request is: a bearer token from the api_tokens table (./tokens.ts), checked by Hono's bearerAuth middleware,
// or, for the dashboard, the same token in the HttpOnly cookie POST /login sets. A revoked token is a 403; a
// cookie-authenticated request that changes something must carry CSRF_HEADER (a cross-site form cannot send it).
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { getCookie } from 'hono/cookie';
import type { Database } from '../db/client.ts';
import type { AppEnv, AuthConfig } from './app-env.ts';
import { ApiError } from './errors.ts';
import { touchApiToken, verifyApiToken } from './tokens.ts';

export const TOKEN_COOKIE = 'egcfg_token';
/** Cookie-authenticated requests that change something must carry this header (a cross-site form cannot). */
export const CSRF_HEADER = 'x-egcfg-request';

/** bearerAuth's answer for one kind of refusal: our JSON error body, with its WWW-Authenticate challenge. */
const refusal = (message: string, challenge: string) => ({
  wwwAuthenticateHeader: challenge,
  message: (c: Context) => c.json({ error: message }, 401),
});

export function requireToken(db: Database, auth: AuthConfig): MiddlewareHandler<AppEnv> {
  /** A known, unrevoked token's owner; null for an unknown token; a 403 for a revoked one. */
  const owner = async (token: string): Promise<{ id: number; name: string } | null> => {
    const check = await verifyApiToken(db, token);
    if (check.ok) return check;
    if (check.reason === 'revoked') throw new ApiError(403, 'this token has been revoked');
    return null;
  };
  const admit = (c: Context<AppEnv>, who: { id: number; name: string }) => {
    c.set('tokenName', who.name);
    c.set('tokenId', who.id);
    void touchApiToken(db, who.id).catch(() => {});
  };

  const bearer = bearerAuth<AppEnv>({
    verifyToken: async (token, c) => {
      const who = await owner(token);
      if (who) admit(c, who);
      return who !== null;
    },
    noAuthenticationHeader: refusal('authentication required: send "Authorization: Bearer <token>" (egcfg tokens create)', 'Bearer'),
    invalidAuthenticationHeader: refusal('the Authorization header must be "Bearer <token>"', 'Bearer'),
    invalidToken: refusal('invalid token', 'Bearer error="invalid_token"'),
  });

  return async (c, next) => {
    if (auth.mode === 'none') { c.set('tokenName', null); c.set('tokenId', null); return next(); }
    const cookie = c.req.header('authorization') ? undefined : getCookie(c, TOKEN_COOKIE);
    if (!cookie) return bearer(c, next);
    // The dashboard's cookie (no Authorization header): the same token, checked the same way.
    const who = await owner(cookie);
    if (!who) throw new ApiError(401, 'invalid token', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !c.req.header(CSRF_HEADER)) {
      throw new ApiError(403, `cookie-authenticated ${c.req.method} requests must carry the ${CSRF_HEADER} header`);
    }
    admit(c, who);
    return next();
  };
}
