// `egcfg serve`: the API and dashboard over the same runtime as `egcfg run` (zero-config local mode or external
// services, workers in-process unless --no-worker). In local mode it also serves simulated model servers for
// campaigns created without a modelUrl.
import { configuredModelServers } from '../../core/model-servers.ts';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from '../../api/server.ts';
import { simulatedModels, type SimulatedModels } from '../../api/simulated-models.ts';
import { createApiToken, listApiTokens } from '../../api/tokens.ts';
import { OptionsError } from '../../campaigns/options.ts';
import { SIMULATED_NOTE } from '../output.ts';
import { openRuntime, runtimeOptionsFrom } from '../runtime.ts';
import { serveFlags as flags } from '../spec.ts';

export const DEFAULT_API_PORT = 8787;


export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: flags, strict: true });
  const port = values.port !== undefined ? Number(values.port) : Number(process.env.EGCFG_API_PORT ?? DEFAULT_API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionsError([{ field: '--port', message: `'${values.port}' is not a port number` }]);
  const skill = values['sim-skill'] !== undefined ? Number(values['sim-skill']) : undefined;
  if (skill !== undefined && !(skill >= 0 && skill <= 1)) throw new OptionsError([{ field: '--sim-skill', message: 'must be within [0, 1]' }]);
  const host = values.host ?? '127.0.0.1';
  if (values['no-auth'] && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new OptionsError([{ field: '--no-auth', message: 'only allowed on a loopback --host' }]);
  }

  const runtime = await openRuntime(runtimeOptionsFrom(values));
  const withSimulated = values['no-simulated'] ? false : values.simulated ?? runtime.mode === 'local';
  const sims: SimulatedModels | undefined = withSimulated ? simulatedModels(skill !== undefined ? { skill } : {}) : undefined;
  const temporalUiUrl = values['temporal-ui'] ?? process.env.TEMPORAL_UI_URL
    ?? runtime.temporalUiUrl;
  const namespace = values.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
  const db = runtime.database.db;

  const server = await startApiServer({
    db, client: runtime.client, port, host, namespace,
    auth: values['no-auth'] ? { mode: 'none' } : { mode: 'tokens' },
    uploadDir: resolve(runtime.dataDir, 'uploads'), dataDir: runtime.dataDir,
    modelServers: configuredModelServers(), // a malformed EGCFG_MODEL_SERVERS stops the server here, with the reason
    ...(sims ? { simulated: sims } : {}),
    ...(temporalUiUrl ? { temporalUiUrl } : {}),
  });
  console.error(`[egcfg] API: ${server.url} — dashboard ${server.url}/ui, reference ${server.url}/docs, health ${server.url}/healthz`);
  console.error(sims
    ? `[egcfg] Model: campaigns without modelUrl use SIMULATED model servers started by this process. ${SIMULATED_NOTE}.`
    : '[egcfg] Model: campaigns must give modelUrl (no simulated model server in this process; --simulated starts one)');
  const servers = configuredModelServers();
  console.error(process.env.EGCFG_ALLOW_ANY_MODEL_URL === '1'
    ? '[egcfg] Model URLs: ANY http(s) URL (EGCFG_ALLOW_ANY_MODEL_URL=1); API keys go only to the servers of EGCFG_MODEL_SERVERS'
    : `[egcfg] Model URLs: campaigns may name ${servers.length ? servers.map((x) => x.name ?? x.url).join(', ') : 'no model server (EGCFG_MODEL_SERVERS is empty)'}${sims ? ' or use the simulated servers' : ''}`);
  if (values['no-auth']) {
    console.error('[egcfg] Auth: DISABLED (--no-auth): anyone who can reach this loopback port can start and cancel campaigns');
  } else {
    const active = (await listApiTokens(db)).filter((t) => !t.revokedAt);
    if (active.length === 0) {
      const first = await createApiToken(db, 'first-serve');
      console.error(`[egcfg] Auth: no API token existed, so one was created (shown once, stored only as its hash):\n\n    ${first.token}\n`);
      console.error(`[egcfg]   export EGCFG_API_URL=${server.url} EGCFG_API_TOKEN=${first.token}`);
    } else {
      console.error(`[egcfg] Auth: ${active.length} active API token(s); use one as "Authorization: Bearer <token>" or sign in at ${server.url}/login (new ones: egcfg tokens create --name NAME; egcfg tokens revoke ID takes effect here at once)`);
    }
  }
  console.log(JSON.stringify({ api_url: server.url, mode: runtime.mode, database: runtime.database.location, simulated_models: Boolean(sims) }));

  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => { console.error(`[egcfg] ${signal}: stopping the API server`); resolveStop(); };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
  await sims?.close();
  await runtime.close();
  return 0;
}
