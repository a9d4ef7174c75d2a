// Errors that mean the user's input is at fault: `egcfg` exits 2 for them, as for a bad flag. Loaded only once a
// command has failed (it imports the modules that define them).
import { OptionsError } from '../campaigns/options.ts';
import { UnknownModelError } from '../core/models/catalogue.ts';
import { ModelServersConfigError } from '../core/model-servers.ts';
import { ReplayFileError } from '../activities/model/replay.ts';
import { DatasetFormatError, DatasetSelectionError } from '../core/datasets/index.ts';

const inputErrors = [OptionsError, DatasetSelectionError, DatasetFormatError, ReplayFileError, UnknownModelError, ModelServersConfigError];

export const isInputError = (err: unknown): boolean =>
  inputErrors.some((kind) => err instanceof kind) || Boolean((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'));
