// `action: pipeline`: a child run of another pipeline file (never cached).
import type { KindChecker } from './types';

export const pipelineKind: KindChecker = { action: 'pipeline', cacheable: false, modelAnswer: false, check: () => ({}) };
