// mcp-server: the dialect's connect / list_tools / execute_tool / disconnect over orc's MCP client. Each call
// connects afresh; `connect` remembers the server's config for the rest of the run (in the run store).
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import type { McpServerRequest, ToolContext, ToolModule } from './types';

const serverConfig = z.union([
  z.looseObject({ command: z.string(), args: z.array(z.string()).optional(), env: z.record(z.string(), z.string()).optional() }),
  z.looseObject({ url: z.string() }),
]);

const serverParameters = z.object({ server_name: z.string().min(1), server_config: serverConfig.optional() });
const executeParameters = serverParameters.extend({ tool_name: z.string().min(1), tool_params: z.record(z.string(), z.unknown()).default({}) });

const configKey = (context: ToolContext, name: string): string => `mcp-server\u0000${context.runId}\u0000${name}`;

function unavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.ToolUnavailable, nonRetryable: true, message });
}

/** The server of a step: its own server_config, else the one `connect` remembered, else a URL given as the name. */
async function serverFor(parameters: z.infer<typeof serverParameters>, context: ToolContext): Promise<McpServerRequest> {
  if (parameters.server_config) return { serverName: parameters.server_name, server: parameters.server_config };
  const remembered = await context.services?.keyValue?.get(configKey(context, parameters.server_name));
  if (remembered && typeof remembered === 'object') return { serverName: parameters.server_name, server: remembered as Record<string, unknown> };
  if (URL.canParse(parameters.server_name)) return { serverName: parameters.server_name, server: { url: parameters.server_name } };
  throw ApplicationFailure.create({
    type: FailureType.InvalidStep,
    nonRetryable: true,
    message: `MCP server '${parameters.server_name}' is not known to this run: connect it first (action connect with server_config), or give server_config here`,
  });
}

function services(context: ToolContext) {
  const { listMcpTools, callMcpTool } = context.services ?? {};
  if (!listMcpTools || !callMcpTool) throw unavailable('this worker lends tools no MCP client');
  return { listMcpTools, callMcpTool };
}

export const mcpServerTool: ToolModule = {
  name: 'mcp-server',
  description: "Calls tools of an MCP server (stdio command or Streamable HTTP URL) through orc's MCP client.",
  actions: {
    connect: {
      description: 'checks the server answers and remembers its config for the run: {connected, tools}',
      parameters: serverParameters,
      run: async (parameters: z.infer<typeof serverParameters>, context) => {
        const request = await serverFor(parameters, context);
        const tools = await services(context).listMcpTools(request);
        await context.services?.keyValue?.put(configKey(context, parameters.server_name), request.server, new Date(Date.now() + 7 * 24 * 3600 * 1000));
        return { connected: true, server_name: parameters.server_name, tools: tools.map((tool) => tool.name) };
      },
    },
    list_tools: {
      description: "the server's tools with their argument schemas: {tools}",
      parameters: serverParameters,
      run: async (parameters: z.infer<typeof serverParameters>, context) => ({ tools: await services(context).listMcpTools(await serverFor(parameters, context)) }),
    },
    execute_tool: {
      description: 'calls one tool: {result, text, content}',
      parameters: executeParameters,
      run: async (parameters: z.infer<typeof executeParameters>, context) => {
        const answer = await services(context).callMcpTool({ ...(await serverFor(parameters, context)), tool: parameters.tool_name, arguments: parameters.tool_params });
        return { result: answer.structured ?? answer.text, ...answer };
      },
    },
    disconnect: {
      description: 'forgets the remembered config: {disconnected}',
      parameters: serverParameters,
      run: async (parameters: z.infer<typeof serverParameters>, context) => {
        await context.services?.keyValue?.delete(configKey(context, parameters.server_name));
        return { disconnected: true, server_name: parameters.server_name };
      },
    },
  },
  actionFor: (action, parameters) => {
    const named = typeof parameters.action === 'string' ? parameters.action : action;
    return { call_tool: 'execute_tool', execute: 'execute_tool', list: 'list_tools' }[named] ?? named;
  },
  availability: () => ({ available: true }),
};
