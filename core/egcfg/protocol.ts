// Which tests stop the search and which score the result, per scoring protocol (spec §1.2, §5). PURE and
// deterministic: safe in Temporal workflows.
//
// The authors' session manager evaluates every generation on its dataset's `test_cases_to_eval` and stops an agent
// (and, through the solved cache, every agent of the task) at the first generation that passes them:
//   MBPP         `test_list`: the three asserts that are also in the prompt (= our visible = eval asserts);
//   HumanEval    `eval_test_list`: the official check() (NOT the docstring examples the signal is traced on);
//   CodeContests `eval_test_list`: private + generated tests.
// So under `paper` a HumanEval task stops at the first program that passes check(), and that program is scored on
// check(). The -ET datasets are scored afterwards on every saved solution (eval_et.py); their search is the base
// dataset's. `strict` selects on the visible tests only (the ones a user would have) and scores once on hidden tests.

export const EGCFG_PROTOCOLS = ['strict', 'paper'] as const;
export type EgcfgProtocol = (typeof EGCFG_PROTOCOLS)[number];

/** A suite a generation's program is run on (activities/egcfg/generation.ts executeOnce). */
export type SelectionSuite = 'visible' | 'eval' | 'eval-paper';

/** The suite whose pass makes a generation the winner (stops its agent and the problem), per dataset and protocol. */
export function selectionSuite(dataset: string, protocol: EgcfgProtocol): SelectionSuite {
  if (protocol === 'strict') return 'visible';
  const d = dataset.toLowerCase();
  if (d === 'humaneval' || d === 'humaneval-et') return 'eval';
  if (d === 'codecontests') return 'eval-paper';
  return 'visible'; // MBPP, MBPP-ET: test_list is both the prompt's asserts and the authors' evaluation tests
}

/** Whether this campaign's `paper` verdicts are the authors' own (their selection suite was the one the search used). */
export function paperSelectionMatches(dataset: string, searchSuite: SelectionSuite): boolean {
  return selectionSuite(dataset, 'paper') === searchSuite;
}

/**
 * Docstring-derived visible tests of HumanEval, audited per problem: none at all (the signal then has nothing to
 * trace and strict selection sees no test), or asserts that the canonical solution fails (wrong expected values in the
 * docstring; such a task cannot be won on its visible tests by a correct program). Counts of the shipped file:
 * 10 without examples, 4 with wrong asserts (test/unit/egcfg-protocol.test.ts recomputes both).
 */
export interface VisibleTestAudit {
  problems: number;
  noVisibleTests: number;
  wrongVisibleAsserts: number;
  /** Task ids of each kind, in problem order. */
  noVisibleTestsTasks: string[];
  wrongVisibleAssertsTasks: string[];
}

/** Sums per-problem audit facts (visible test count, whether the canonical solution failed one of them). */
export function auditVisibleTests(rows: Array<{ taskId: string; visibleTests: number; canonicalFailsVisible: boolean }>): VisibleTestAudit {
  const none = rows.filter((r) => r.visibleTests === 0).map((r) => r.taskId);
  const wrong = rows.filter((r) => r.visibleTests > 0 && r.canonicalFailsVisible).map((r) => r.taskId);
  return { problems: rows.length, noVisibleTests: none.length, wrongVisibleAsserts: wrong.length, noVisibleTestsTasks: none, wrongVisibleAssertsTasks: wrong };
}
