// What `egcfg show` says a run checked. A traced candidate run calls the function on a visible test's arguments with
// no assert (spec §2.2: the expected value is never executed), so its `passed` status only means it ran to the end
// without an exception; calling that "passed" read as if the candidate had passed a test (issue 11 item 12).

/** The label of one traced run of a candidate (sandbox status → what was checked). */
export function traceRunLabel(status: string): string {
  switch (status) {
    case 'passed': return 'ran without an exception (traced call only: no expected value checked)';
    case 'failed':
    case 'error': return `${status}: raised an exception (traced call only: no expected value checked)`;
    case 'timeout':
    case 'killed':
    case 'memory_limit': return `${status}: cut off, left out of the signal`;
    default: return status;
  }
}

const SUITE_WORDS: Record<string, string> = {
  visible: 'the visible tests',
  eval: 'the evaluation tests (MBPP test_list / HumanEval check())',
  'eval-paper': 'the private + generated tests',
  et: 'the ET tests',
};

/** The verdict of a generation, naming the suite its status was decided on (the visible tests unless --protocol paper chose another). */
export function generationVerdictLabel(status: string, selectionSuite: string | undefined): string {
  const suite = SUITE_WORDS[selectionSuite ?? 'visible'] ?? selectionSuite ?? 'the visible tests';
  if (status === 'passed') return `PASSED ${suite}`;
  if (status === 'failed') return `FAILED ${suite}`;
  return status.toUpperCase();
}

/** Verdicts only contest judging gives (CodeContests: stdin/stdout tests, activities/sandbox/stdio-schema.ts;
 *  memory_limit is left out: assert suites give it too). */
const CONTEST_VERDICTS = new Set(['accepted', 'wrong_answer', 'time_limit', 'runtime_error']);
const CONTEST_SUITE_WORDS: Record<string, string> = { visible: 'the public tests', eval: 'the private + generated tests' };

/** The verdict of one stored execution of a final program on a suite, with the tests it ran. */
export function executionLabel(e: { suite: string; passed: boolean; testsPassed: number; testsTotal: number; status: string }): string {
  if (CONTEST_VERDICTS.has(e.status)) {
    const suite = CONTEST_SUITE_WORDS[e.suite] ?? SUITE_WORDS[e.suite] ?? e.suite;
    return `${e.suite}: ${e.passed ? 'passed' : 'failed'} ${e.testsPassed}/${e.testsTotal} stdin/stdout tests of ${suite} (${e.status.replace(/_/g, ' ')})`;
  }
  const suite = SUITE_WORDS[e.suite] ?? e.suite;
  return `${e.suite}: ${e.passed ? 'passed' : 'failed'} ${e.testsPassed}/${e.testsTotal} asserts of ${suite} (${e.status})`;
}
