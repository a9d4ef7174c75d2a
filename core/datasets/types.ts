// Shared types of the benchmark layer.

export const knownDatasets = ['mbpp', 'mbpp-et', 'humaneval', 'humaneval-et', 'codecontests'] as const;
export type DatasetName = (typeof knownDatasets)[number];

/** MBPP's standard split by task id (1-10 prompt, 11-510 test, 511-600 validation, 601-974 train); HumanEval is all 'test'. */
export type Split = 'prompt' | 'test' | 'validation' | 'train';
export type SplitSelector = Split | 'all';

/** One test the sandbox runs after the program, in the same namespace; it passes if it completes without an exception. */
export interface EvalTest {
  /** Stable within a problem: `visible/<i>`, `eval/<i>`, `eval/check` (HumanEval), `et/<i>`. */
  id: string;
  code: string;
}

/** One stdin/stdout test (CodeContests): the program reads `input` and must print `output` (checker: tokens, floats ±1e-6). */
export interface IoTest {
  /** `public/<i>`, `private/<i>`, `generated/<i>`. */
  id: string;
  input: string;
  output: string;
}

/** What a stdin/stdout problem (CodeContests) is judged on. */
export interface IoProblem {
  publicTests: IoTest[];
  privateTests: IoTest[];
  generatedTests: IoTest[];
  /** The problem's time limit per test (ms) as published; null when the record has none. */
  timeLimitMs: number | null;
  memoryLimitBytes: number | null;
  difficulty: number | null;
}

export interface Problem {
  dataset: DatasetName;
  /** MBPP ids as decimal strings ("11"); HumanEval ids as published ("HumanEval/0"). */
  taskId: string;
  split: Split;
  /** Name of the function under test. */
  entryPoint: string;
  /** Natural-language task: MBPP `text`; HumanEval the entry function's docstring (dedented). */
  statement: string;
  /** HumanEval only: the published `prompt` (imports, helpers, signature and docstring). */
  promptCode?: string;
  /** MBPP only: `test_setup_code` ('' when none); it runs after the solution, before the tests. */
  testSetupCode?: string;
  /** Assert strings shown in the prompt and used for guidance / candidate selection (may be empty for HumanEval). */
  visibleTests: string[];
  /** What decides `passed` for this dataset. */
  evalProgramTests: EvalTest[];
  /** The extended (ET) assert list, for the -et datasets. */
  etTests?: EvalTest[];
  /** A complete reference program: MBPP `code` (CRLF → LF); HumanEval `prompt + canonical_solution`. */
  canonicalSolution: string;
  /** The record exactly as read from the file (CodeContests: without its tests and solutions, only their counts). */
  raw: Record<string, unknown>;
  /** Stdin/stdout problems (CodeContests): whole programs judged like a contest; then evalProgramTests is empty. */
  io?: IoProblem;
}

export interface LoadOptions {
  /** A user-supplied JSONL or JSONL.GZ file in the dataset's format (e.g. the full MBPP-ET); default: the shipped file.
   *  CodeContests (nothing shipped): JSONL(.GZ) or parquet files, comma-separated. */
  file?: string;
  /** Which split to return; MBPP and MBPP-ET default to 'test', HumanEval has only 'test'. */
  split?: SplitSelector;
}

export interface DatasetCoverage {
  dataset: DatasetName;
  file: string;
  /** Records in the file. */
  records: number;
  /** Records whose task falls in the evaluation split (MBPP 11-510; HumanEval all). */
  testSplitRecords: number;
  /** Size of the evaluation split in the complete benchmark (500 for MBPP/MBPP-ET, 164 for HumanEval/-ET). */
  expectedTestSplitRecords: number;
  /** True when every task of the evaluation split is present. */
  full: boolean;
  /** Problems of the evaluation split with at least one visible test (HumanEval: docstring examples found). */
  testSplitWithVisibleTests: number;
  /** One line to print under any table built from this dataset. */
  note: string;
}
