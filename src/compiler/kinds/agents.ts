// `action: agents` (spec section 11): a coordinator handing tasks to member agents (never cached).
import { checkAgentStep } from './agent';
import type { KindChecker } from './types';

export const agentsKind: KindChecker = { action: 'agents', cacheable: false, modelAnswer: false, check: checkAgentStep('agents') };
