// The authors' conditional prompt when the fence instruction was inserted (their DeepSeek-V3 / Qwen3 endpoint runs).
// PURE.
//
// Their adapter keeps the prompt as it was before the instruction was inserted (`initial_prompt`) and its token
// length. The conditional side is that prompt with the signal inserted, followed by the tokens of the sequence
// actually decoded (the prompt WITH the instruction, the reasoning prefix, the code so far) from that length on.
// Since the sent prompt is longer by the instruction, those tokens start inside the sent prompt: the conditional
// prompt lacks the instruction and repeats the sent prompt's last ~|instruction| tokens before the reasoning
// prefix. (Their guidance-gate and new-code offsets use the same shorter length.) `--cond-prompt authors-quirk`
// reproduces it; 'clean' (default) inserts the signal into the sent prompt.

/**
 * The quirk's conditional token ids: `signalledBase` = tokens of (prompt without the instruction, signal inserted);
 * `sequence` = tokens of (the sent prompt + reasoning prefix [+ code so far]); `baseLength` = the token length of the
 * prompt without the instruction.
 */
export function quirkConditionalIds(signalledBase: readonly number[], sequence: readonly number[], baseLength: number): number[] {
  if (!Number.isInteger(baseLength) || baseLength < 0) throw new RangeError(`quirkConditionalIds: bad base length ${String(baseLength)}`);
  return [...signalledBase, ...sequence.slice(baseLength)];
}

/** The same in characters (for text prompts, e.g. conditional candidate sampling): an approximation at character offsets. */
export function quirkConditionalText(signalledBase: string, sequence: string, baseLength: number): string {
  return signalledBase + sequence.slice(baseLength);
}
