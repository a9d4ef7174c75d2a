// The simulated model for demos and tests (activities/model/simulated-knowledge.ts): what the CLI commands use.
export { brokenVariants, knowledgeFor, startSimulatedModel, type KnowledgeEntry } from '../activities/model/simulated-knowledge.ts';
