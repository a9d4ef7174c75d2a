// Teardown steps that all run: a step that throws does not skip the ones after it, and its error is not lost.

/** Runs each step even when one before it threw; throws an AggregateError of every failure. */
export async function runAll(what: string, steps: Array<[string, () => Promise<unknown>]>): Promise<void> {
  const errors: Error[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      // The cause's message too: a client error often says only what failed ('Failed to terminate Workflow').
      const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? ` (${e.cause.message})` : '';
      errors.push(new Error(`${name}: ${e.message}${cause}`, { cause: e }));
    }
  }
  if (errors.length) throw new AggregateError(errors, `${what}: ${errors.map((e) => e.message).join('; ')}`);
}
