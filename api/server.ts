// Serving the app over HTTP with @hono/node-server.
import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createApp, type AppOptions } from './app.ts';

export interface ApiServer {
  url: string;
  port: number;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export async function startApiServer(opts: AppOptions & { port?: number; host?: string }): Promise<ApiServer> {
  const app = createApp(opts);
  const host = opts.host ?? '127.0.0.1';
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: host }, (info: AddressInfo) => resolve(info.port));
    server.once('error', reject);
  });
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    app,
    close: () => new Promise<void>((resolve) => {
      // Open SSE streams would hold close() forever: end every connection (serve() without createServer makes an
      // http.Server).
      if (server instanceof Server) server.closeAllConnections();
      server!.close(() => resolve());
    }),
  };
}
