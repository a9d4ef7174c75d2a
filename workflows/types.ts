// Moved to core/contracts.ts (shared by workflows, activities, campaigns, CLI and API); import from there.
export type * from '../core/contracts.ts';
