// Public entry point of the benchmark layer: datasets, evaluation programs, invocations, answer extraction.
export * from './types.ts';
export {
  datasetCoverage,
  DatasetSelectionError,
  datasetFile,
  etTestsFor,
  HUMANEVAL_SIZE,
  loadDataset,
  loadDatasetSync,
  MBPP_TEST_SPLIT_SIZE,
  mbppEntryPoint,
  mbppSplitOf,
  parseDatasetName,
  parseSplit,
  shippedFiles,
  splitSelectors,
} from './load.ts';
export { DatasetFormatError } from './jsonl.ts';
export {
  codeContestsFiles, codeContestsProblem, codeContestsRecordSchema, pythonSolutions, readCodeContests, renderExample,
  splitOfFile, VISIBLE_TESTS, type CodeContestsRecord, type CodeContestsRow,
} from './codecontests.ts';
export { contestLimits, contestProgram, contestSuite, extractProgram, PAPER_TIME_LIMIT_MS, type ContestProtocol } from './contest.ts';
export { docstringExamples, parseEntryFunction, type EntryFunction } from './humaneval.ts';
export { buildEvaluation, evaluationSuites, invocationOf, visibleInvocations, type Evaluation, type EvaluationSuite } from './evaluation.ts';
export { extractCode, extractCodeDetailed, type ExtractOptions, type Extraction, type ExtractionSource } from './extract.ts';
