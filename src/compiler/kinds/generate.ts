// `action: generate`: the model writes from the step's parameters (prompt, …).
import type { KindChecker } from './types';

export const generateKind: KindChecker = { action: 'generate', cacheable: true, modelAnswer: true, check: () => ({}) };
