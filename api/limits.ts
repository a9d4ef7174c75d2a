// Request limits of the API (issue 13): every request is refused at once, before anything is read into memory,
// started or written, when it is too big (413), carries a NUL byte in its URL (400), or comes compressed (415).
// Samples uploads may be gzip files (detected by their magic bytes): they are decompressed off the event loop with a
// cap on the output, so a gzip bomb costs at most the cap. Server-Sent Event streams are capped per token.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, badRequest } from './errors.ts';

export interface ApiLimits {
  /** Largest request body of every route but the upload (JSON bodies, forms). */
  bodyBytes: number;
  /** Largest POST /evaluate body (the samples file, possibly gzip). */
  uploadBytes: number;
  /** Largest decompressed samples file. */
  decompressedBytes: number;
  /** Open event streams per token (429 beyond). */
  sseStreamsPerToken: number;
  /** Open event streams in all (429 beyond). */
  sseStreamsTotal: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_LIMITS: ApiLimits = {
  bodyBytes: 1 * MiB, uploadBytes: 32 * MiB, decompressedBytes: 256 * MiB, sseStreamsPerToken: 8, sseStreamsTotal: 64,
};

const fmt = (bytes: number) => (bytes >= MiB ? `${Math.round(bytes / MiB)} MiB` : `${Math.round(bytes / 1024)} KiB`);

const tooLarge = (what: string, max: number) => () => {
  throw new ApiError(413, `${what} is larger than ${fmt(max)}`, [{ field: '(body)', message: `larger than ${fmt(max)}` }]);
};

/** NUL in the URL (raw or %00) and compressed request bodies are refused before routing. */
export const refuseHostileRequests: MiddlewareHandler = async (c, next) => {
  if (/%00|\0/i.test(c.req.url)) throw badRequest('(url)', 'NUL bytes are not allowed in paths or query parameters');
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new ApiError(415, `Content-Encoding '${encoding.slice(0, 40)}' is not accepted: send the body as it is (a gzip samples file is detected by its content)`,
      [{ field: '(body)', message: 'compressed request bodies are not accepted' }]);
  }
  return next();
};

/** The body size limit: `uploadBytes` for POST /evaluate, `bodyBytes` for everything else. */
export function bodyLimits(limits: ApiLimits): MiddlewareHandler {
  const upload = bodyLimit({ maxSize: limits.uploadBytes, onError: tooLarge('the upload', limits.uploadBytes) });
  const other = bodyLimit({ maxSize: limits.bodyBytes, onError: tooLarge('the request body', limits.bodyBytes) });
  return (c, next) => (c.req.path === '/evaluate' ? upload(c, next) : other(c, next));
}

const gunzipAsync = promisify(gunzip);

/** gzip bytes -> their content, at most `max` bytes (413 beyond), decompressed on the thread pool. */
export async function gunzipCapped(bytes: Buffer, max: number): Promise<Buffer> {
  try {
    return await gunzipAsync(bytes, { maxOutputLength: max });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) tooLarge('the decompressed samples file', max)();
    throw badRequest('file', `not valid gzip (${err.code ?? 'corrupt data'})`);
  }
}

/** Counts open streams per key; `open` throws 429 beyond the caps, the returned function closes the stream. */
export class StreamSlots {
  private readonly open = new Map<string, number>();
  private total = 0;
  constructor(private readonly perKey: number, private readonly max: number) {}

  acquire(key: string): () => void {
    const n = this.open.get(key) ?? 0;
    if (n >= this.perKey) throw new ApiError(429, `too many open event streams for this token (at most ${this.perKey}); close one first`, undefined, { 'retry-after': '5' });
    if (this.total >= this.max) throw new ApiError(429, `too many open event streams on this server (at most ${this.max})`, undefined, { 'retry-after': '5' });
    this.open.set(key, n + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }

  get size(): number { return this.total; }
}
