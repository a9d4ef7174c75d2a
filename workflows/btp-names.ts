// The BTP progress query, shared by the BTP workflow and its clients; the BTP names are in core/btp/names.ts.
import { defineQuery } from '@temporalio/workflow';
import type { BtpProgress } from '../core/contracts.ts';

/** Stage, iteration and per-iteration pass@1 of a running BTP campaign. */
export const btpProgressQuery = defineQuery<BtpProgress>('btpProgress');
