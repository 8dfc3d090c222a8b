// `action: approval`: a person's decision (never cached).
import type { KindChecker } from './types';

export const approvalKind: KindChecker = { action: 'approval', cacheable: false, modelAnswer: false, check: () => ({}) };
