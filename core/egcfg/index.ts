// The pure EG-CFG logic, importable from Temporal workflows. Deliberately does NOT re-export seed.ts (node:crypto)
// or grid-file.ts (node:fs): import those directly, on the activity / client side only.
export * from './constants.ts';
export * from './cfg.ts';
export * from './candidates.ts';
export * from './signal.ts';
export * from './gate.ts';
export * from './reasoning.ts';
export * from './early-stop.ts';
export * from './grid.ts';
export * from './pyrepr.ts';
export * from './gamma1.ts';
export * from './cost.ts';
export * from './trace-cache.ts';
export * from './generation.ts';
export * from './protocol.ts';
export * from './stdin-signal.ts';
export * from './forced-name.ts';
export * from './cond-quirk.ts';
export * from './cost-caps.ts';
