// The one sentence every number from the simulated model server carries (CLI summaries, experiment tables).
export const SIMULATED_NOTE = 'simulated model: these numbers exercise the pipeline and say nothing about any real model';
