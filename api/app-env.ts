// Types the API app and the modules that mount routes on it share (kept here so none of them imports api/app.ts).

export type AuthConfig =
  /** Bearer tokens from the api_tokens table (the default). */
  | { mode: 'tokens' }
  /** No authentication at all: only for a server bound to loopback on a single-user machine. */
  | { mode: 'none' };

/** Hono's per-request variables: who the bearer token belongs to. */
export interface AppEnv { Variables: { tokenName: string | null; tokenId: number | null } }
