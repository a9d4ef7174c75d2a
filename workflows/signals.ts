// Signals and queries shared by the workflows and their clients (CLI, API).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CampaignProgress } from '../core/contracts.ts';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<CampaignProgress>('progress');
