// `action: agent` (spec section 11): model turns with tool calls, by one agent (never cached).
import { compileAgentStep } from '../agents';
import { keyPosition, reporter, type CompileContext } from '../context';
import type { KindChecker, KindFields, StepSite } from './types';

/** The check of `agent` and `agents` steps: their parameters, their agents and those agents' tools. */
export function checkAgentStep(kind: 'agent' | 'agents'): (context: CompileContext, step: StepSite) => KindFields {
  return (context, step) => {
    const file = context.options.file ?? null;
    const agent = compileAgentStep(step.raw, kind, step.path, reporter(context), keyPosition(context), context.agents, Object.keys(context.mcpServers), file);
    return agent ? { agent } : {};
  };
}

export const agentKind: KindChecker = { action: 'agent', cacheable: false, modelAnswer: false, check: checkAgentStep('agent') };
