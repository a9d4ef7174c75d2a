// The Postgres wire protocol over a socket, answered by one PGlite: how other processes use the database that the
// data folder's owner holds (db/local-owner.ts). PGlite has one backend session, so connections take turns: a
// connection holds the backend from its first message until PGlite answers ReadyForQuery with status idle — a whole
// extended-protocol batch (Parse … Sync, whose unnamed statement and portal another connection must not replace) and
// a whole explicit transaction. A connection that goes away while holding it is rolled back.
//
// Why not @electric-sql/pglite-socket: its releases pin exact peer versions (0.2.17: pglite 0.5.14 and seven
// extensions, so npm refuses it beside pglite 0.5.16), and it switches connections between single messages, which
// lets one connection's Bind/Execute run against another's unnamed statement.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/** One at a time: the connection that holds PGlite's only backend session. */
class Backend {
  private holder: object | undefined;
  private waiting: Array<{ who: object; go: () => void }> = [];

  async acquire(who: object): Promise<void> {
    if (this.holder === undefined || this.holder === who) { this.holder = who; return; }
    await new Promise<void>((go) => this.waiting.push({ who, go }));
  }

  release(who: object): void {
    if (this.holder !== who) return;
    const next = this.waiting.shift();
    this.holder = next?.who;
    next?.go();
  }

  holds(who: object): boolean { return this.holder === who; }

  /** A connection went away before its turn: wake its waiter without giving it the backend. */
  forget(who: object): void {
    const gone = this.waiting.filter((w) => w.who === who);
    this.waiting = this.waiting.filter((w) => w.who !== who);
    for (const w of gone) w.go();
  }
}

/** The status byte of the last ReadyForQuery in a response ('I' idle, 'T' in a transaction, 'E' failed one), if any. */
export function lastReadyStatus(data: Uint8Array): string | undefined {
  let status: string | undefined;
  let i = 0;
  while (i + 5 <= data.length) {
    const type = data[i]!;
    const len = ((data[i + 1]! << 24) | (data[i + 2]! << 16) | (data[i + 3]! << 8) | data[i + 4]!) >>> 0;
    if (type === 0x5a && len === 5 && i + 6 <= data.length) status = String.fromCharCode(data[i + 5]!);
    i += 1 + len;
  }
  return status;
}

/** Split complete protocol messages off the front of `buf`; the first message of a connection has no type byte. */
export function takeMessages(buf: Buffer, startup: boolean): { messages: Buffer[]; rest: Buffer; startupDone: boolean } {
  const messages: Buffer[] = [];
  let offset = 0;
  let inStartup = startup;
  while (true) {
    if (inStartup) {
      if (buf.length - offset < 8) break;
      const len = buf.readInt32BE(offset);
      if (buf.length - offset < len) break;
      messages.push(buf.subarray(offset, offset + len));
      offset += len;
      const code = buf.readInt32BE(offset - len + 4);
      if (code === PROTOCOL_3) inStartup = false; // SSL/GSS/cancel requests come before the real startup message
      continue;
    }
    if (buf.length - offset < 5) break;
    const len = 1 + buf.readInt32BE(offset + 1);
    if (buf.length - offset < len) break;
    messages.push(buf.subarray(offset, offset + len));
    offset += len;
  }
  return { messages, rest: Buffer.from(buf.subarray(offset)), startupDone: !inStartup };
}

export interface BridgeServer {
  /** The socket path clients connect to (postgres.js `path`). */
  path: string;
  /** Connections open now. */
  connections(): number;
  close(): Promise<void>;
}

/** Serve `db` on a Unix socket at `path` (mode 0600: only this user's processes may connect). */
export async function serveOverSocket(db: PGlite, path: string, onConnectionsChange?: (n: number) => void): Promise<BridgeServer> {
  const backend = new Backend();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    onConnectionsChange?.(sockets.size);
    handleConnection(db, backend, socket, () => { sockets.delete(socket); onConnectionsChange?.(sockets.size); });
  });
  if (existsSync(path)) unlinkSync(path); // a socket file left by a dead owner (we hold the lock)
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(path, () => resolve()); });
  chmodSync(path, 0o600);
  return {
    path,
    connections: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function handleConnection(db: PGlite, backend: Backend, socket: Socket, onClose: () => void): void {
  const me = {};
  let buffer: Buffer = Buffer.alloc(0);
  let startup = true;
  let chain = Promise.resolve();
  let closed = false;

  const run = async (message: Buffer, isStartupPhase: boolean): Promise<void> => {
    if (isStartupPhase) {
      const code = message.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSS_REQUEST) { socket.write('N'); return; }
      if (code === CANCEL_REQUEST) { socket.end(); return; } // no backend process to signal
    } else if (message[0] === 0x58) { // Terminate: end this connection, not PGlite's session
      socket.end();
      return;
    }
    await backend.acquire(me);
    if (closed) { if (backend.holds(me)) await reset(); return; }
    const out = await db.execProtocolRaw(new Uint8Array(message));
    if (out.length > 0 && !socket.destroyed) socket.write(out);
    if (lastReadyStatus(out) === 'I') backend.release(me);
  };

  /** The connection went away while it held the backend: end its batch and transaction, then let others in. */
  const reset = async (): Promise<void> => {
    try {
      await db.execProtocolRaw(new Uint8Array(SYNC));
      if (db.isInTransaction()) await db.exec('ROLLBACK');
    } finally {
      backend.release(me);
    }
  };

  socket.on('data', (data: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, data]) : data;
    const wasStartup = startup;
    const { messages, rest, startupDone } = takeMessages(buffer, startup);
    buffer = rest;
    startup = !startupDone;
    let phase = wasStartup;
    for (const m of messages) {
      const isStartupPhase = phase;
      if (isStartupPhase && m.readInt32BE(4) === PROTOCOL_3) phase = false;
      chain = chain.then(() => run(m, isStartupPhase)).catch((err: unknown) => {
        socket.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    }
  });
  socket.on('error', () => { /* reported as close */ });
  socket.on('close', () => {
    closed = true;
    backend.forget(me);
    chain = chain.then(async () => { if (backend.holds(me)) await reset(); }).catch(() => {}).finally(onClose);
  });
}
