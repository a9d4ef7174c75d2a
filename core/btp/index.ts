// BTP (Beam search → Testing → Prioritized replay → LoRA training): the pure, deterministic building blocks.
// Safe to import from Temporal workflows: no I/O, no clock, no Math.random.
export * from './prng.ts';
export * from './p2value.ts';
export * from './sumtree.ts';
export * from './samplers.ts';
export * from './buffer.ts';
export * from './sha256.ts';
export * from './trainer-protocol.ts';
