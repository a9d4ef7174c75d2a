// Caps on what one line and one problem may cost in model tokens (issue 11 item 9). PURE: safe in workflows.
//
// A weak model can make EG-CFG's cost explode: one line on CPU took ~4 minutes (candidates of 512 tokens each, two
// CFG calls per token on prompts with long signals), one problem 220 calls and 628k prompt tokens. The authors had no
// such caps (only a wall clock), so both are off unless set; when one bites, the step says so.

export interface CostCaps {
  /**
   * Model tokens (prompt + completion) one line may spend: its signal's candidates, early-stop samples and the CFG
   * calls of its tokens. Past it the rest of the line is decoded without guidance (one unconditional call a token).
   */
  lineTokens?: number;
  /** Model tokens all generations of one problem may spend; past it they end (stop reason 'cost_cap'). */
  problemTokens?: number;
}

/** Whether the next token of a line that has spent `lineSpent` tokens may still be guided. */
export function lineGuidanceAllowed(caps: CostCaps | undefined, lineSpent: number): boolean {
  return caps?.lineTokens === undefined || lineSpent < caps.lineTokens;
}

/** The tokens a problem has left under its cap (Infinity without one; never below 0). */
export function problemTokensLeft(caps: CostCaps | undefined, problemSpent: number): number {
  return caps?.problemTokens === undefined ? Infinity : Math.max(0, caps.problemTokens - problemSpent);
}
