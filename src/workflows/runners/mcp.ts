// An `mcp` step: one tool call on an MCP server; a tool error fails the step with the tool's message.
import { isPlainObject } from '../../base/plain-object';
import { invalidStep } from '../../base/failure-types';
import { cachePolicyFor, withoutCallRecord } from '../call-record';
import { mcpServerFor } from '../tool-steps';
import type { StepRunner } from './types';

export const runMcpStep: StepRunner = async ({ step, context, pipeline, options, renderForStep, activities }) => {
  const parameters = await renderForStep(step.parameters, context);
  const { serverName, server } = mcpServerFor(step, parameters.server, pipeline.mcpServers ?? {});
  if (typeof parameters.tool !== 'string' || parameters.tool === '') throw invalidStep(`step '${step.id}': parameters.tool must name a tool`);
  const args = parameters.arguments ?? {};
  if (!isPlainObject(args)) throw invalidStep(`step '${step.id}': parameters.arguments must be a mapping`);
  if (options.dryRun) {
    return { result: { text: '', structured: null, content: [], dry_run: true, server: serverName, tool: parameters.tool, arguments: args }, attempts: 0 };
  }
  const cache = cachePolicyFor(step, options);
  const output = await activities.step(`mcp ${parameters.tool}`).callMcpTool({
    stepId: step.id,
    serverName,
    server,
    tool: parameters.tool,
    arguments: args as Record<string, unknown>,
    ...(cache ? { cache } : {}),
  });
  const { result, attempts, extra } = withoutCallRecord(output);
  return { result, attempts, ...(extra ? { extra } : {}) };
};
