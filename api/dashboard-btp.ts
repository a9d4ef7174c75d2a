// Dashboard pages mounted by ./dashboard.ts next to the campaign pages: a BTP campaign's beams per problem
// (/ui/campaigns/{id}/beams) and an experiment's plots (/ui/experiments/{name}).
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import { getCampaign, UnknownCampaignError } from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';
import type { AppEnv } from './app-env.ts';
import { beamsBody } from './btp-page.ts';
import { page } from './dashboard-parts.ts';
import { beamsPage, BeamsQuerySchema } from './btp-views.ts';
import { experimentView } from './compare-views.ts';
import { experimentBody } from './experiment-page.ts';

export interface PageKit {
  db: Database;
  /** A redirect to the login page, or null when signed in. */
  signedIn: (c: Context) => Promise<Response | null>;
}

export function mountBtpPages(app: Hono<AppEnv>, k: PageKit): void {
  app.get('/ui/campaigns/:id/beams', async (c) => {
    const redirect = await k.signedIn(c);
    if (redirect) return redirect;
    const id = c.req.param('id');
    try { await getCampaign(k.db, id); } catch (err) {
      if (err instanceof UnknownCampaignError) return c.html(page('Not found', html`<h1>Unknown campaign</h1><p>${err.message}</p>`), 404);
      throw err;
    }
    const parsed = BeamsQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return c.html(page('Bad request', html`<h1>Bad request</h1><p class="error">${issues}</p>`), 400);
    }
    return c.html(page(`Beams of ${id}`, beamsBody(id, await beamsPage(k.db, id, parsed.data), parsed.data)));
  });

  app.get('/ui/experiments/:name', async (c) => {
    const redirect = await k.signedIn(c);
    if (redirect) return redirect;
    const name = c.req.param('name');
    const view = await experimentView(k.db, name);
    if (!view) return c.html(page('Not found', html`<h1>Unknown experiment</h1><p>no campaign belongs to an experiment named '${name}'</p>`), 404);
    return c.html(page(`Experiment ${name}`, experimentBody(view)));
  });
}
