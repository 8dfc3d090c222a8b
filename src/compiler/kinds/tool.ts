// `tool: NAME` + `action: ACTION` + `parameters` (spec section 19): one action of a registered tool. The compiler
// does not know the registry (src/tools sits above it): a caller may pass the names it has (`knownTools`).
import { note, report, type CompileContext } from '../context';
import { didYouMean } from '../diagnostics';
import { containsTemplate } from '../templates';
import type { KindChecker, StepSite } from './types';

/** Cloud tools are refused (spec section 18): orc does not hold cloud credentials for a pipeline. */
const REFUSED_TOOL = /^(aws|gcp|azure)-/;

function checkToolName(context: CompileContext, step: StepSite, name: string): void {
  const at = step.at('tool');
  if (containsTemplate(name)) {
    report(context, 'INVALID_VALUE', `step '${step.id}': 'tool' must name a tool, not a template ('${name}')`, at);
  } else if (REFUSED_TOOL.test(name)) {
    const message = `step '${step.id}': tool '${name}' is not available: aws-*, gcp-* and azure-* tools are refused (orc holds no cloud credentials for a pipeline); call the service from an mcp step or run_code instead`;
    report(context, 'TOOL_UNAVAILABLE', message, at);
  } else if (context.options.knownTools && !context.options.knownTools.includes(name)) {
    const known = context.options.knownTools;
    const message = `step '${step.id}': tool '${name}' has no backend on this worker${didYouMean(name, known)}; the run fails at this step with TOOL_UNAVAILABLE (tools here: ${known.join(', ') || 'none'})`;
    note(context, 'TOOL_UNAVAILABLE', message, at);
  }
}

export const toolKind: KindChecker = {
  keys: ['tool'],
  cacheable: false,
  modelAnswer: false,
  check(context, step) {
    const name = typeof step.raw.tool === 'string' ? step.raw.tool.trim() : '';
    if (name === '') {
      report(context, 'INVALID_VALUE', `step '${step.id}': 'tool' must name a tool (e.g. filesystem)`, step.at('tool'));
      return {};
    }
    checkToolName(context, step, name);
    if (containsTemplate(step.action)) {
      report(context, 'INVALID_VALUE', `step '${step.id}': a tool step's action is the tool's action name (e.g. read), not a template`, step.at('action'));
    }
    return { tool: { name, action: step.action } };
  },
};
