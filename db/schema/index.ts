// The whole drizzle schema: one module per area, re-exported here for the drivers and drizzle-kit.
export * from './core.ts';
export * from './btp.ts';
export * from './auth.ts';
export * from './egcfg.ts';
