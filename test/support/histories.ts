// The recorded workflow histories (test/fixtures/histories/*.json): protobufjs JSON of temporal.api.history.v1.History
// (camelCase fields, enums by name, int64 as strings, timestamps as {seconds, nanos}). Not the SDK's
// historyToJSON/historyFromJSON: with the nested protobufjs copies this install has, those throw "type must be a Type".
import { readFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { repoPath } from '../../core/repo.ts';

export const historiesDir = repoPath('test', 'fixtures', 'histories');

// A CommonJS module: its namespaces come through the default import.
const { temporal } = proto;

type History = proto.temporal.api.history.v1.IHistory;

/** The text a fixture file holds for `history`. */
export const historyToFixture = (history: History): string =>
  `${JSON.stringify(temporal.api.history.v1.History.fromObject(history).toJSON(), null, 1)}\n`;

/** The History a fixture file holds (eventIds as Long, as the replay worker expects from a fetched history). */
export const historyFromFixture = (file: string): proto.temporal.api.history.v1.History =>
  temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);

/** The workflow type a fixture's file name starts with (`<type>-<status>[-<n>].json`, or any other `<type>-….json`). */
export const fixtureWorkflowType = (name: string): string => name.split('-')[0]!;

/** The names `npm run record-histories` writes (and replaces); a file named otherwise is kept, and replayed. */
export const isRecordedName = (name: string): boolean =>
  /^[A-Za-z]+-(completed|failed|cancelled|terminated|continued_as_new|timed_out)(-\d+)?\.json$/.test(name);
