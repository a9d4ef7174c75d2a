// `egcfg tokens create|list|revoke`: API bearer tokens, stored as their SHA-256 hash. Talks to the database directly
// (DATABASE_URL / --database-url, else the data folder's PGlite through its owner process, db/local-owner.ts), so it
// works before any server runs, and a revocation while `egcfg serve` runs takes effect in that server at once.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiToken, listApiTokens, revokeApiToken } from '../../api/tokens.ts';
import { OptionsError } from '../../campaigns/options.ts';
import { openDatabase } from '../../db/client.ts';
import { defaultDataDir } from '../runtime.ts';
import { tokensFlags as flags } from '../spec.ts';


export async function tokensCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: flags, strict: true, allowPositionals: true });
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
    throw new OptionsError([{ field: 'tokens', message: `unknown subcommand '${sub ?? ''}'; expected create [--name N] | list | revoke ID` }]);
  }
  const target = values['database-url'] ?? process.env.DATABASE_URL ?? resolve(values['data-dir'] ?? defaultDataDir(), 'pglite');
  const database = await openDatabase(target);
  try {
    if (sub === 'create') {
      const name = values.name ?? 'default';
      const t = await createApiToken(database.db, name);
      console.error(`[egcfg] token ${t.id} '${name}' created in ${database.location}; it is shown once and stored only as its SHA-256 hash:`);
      console.log(t.token);
      return 0;
    }
    if (sub === 'list') {
      const rows = await listApiTokens(database.db);
      if (values.json) { console.log(JSON.stringify(rows)); return 0; }
      console.log(['id', 'name', 'prefix', 'created', 'last used', 'revoked'].join('\t'));
      for (const r of rows) console.log([r.id, r.name, `${r.prefix}…`, r.createdAt.toISOString(), r.lastUsedAt?.toISOString() ?? '-', r.revokedAt?.toISOString() ?? '-'].join('\t'));
      return 0;
    }
    const id = Number(positionals[0]);
    if (!Number.isInteger(id) || id <= 0) throw new OptionsError([{ field: 'ID', message: `expected a token id (egcfg tokens list), got '${positionals[0] ?? ''}'` }]);
    if (!(await revokeApiToken(database.db, id))) { console.error(`egcfg tokens revoke: no token ${id}`); return 1; }
    console.error(`[egcfg] token ${id} revoked: requests with it now answer 403`);
    return 0;
  } finally {
    await database.close();
  }
}
