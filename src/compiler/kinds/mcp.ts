// `action: mcp`: one tool call on a named MCP server.
import { keyPosition, reporter } from '../context';
import { checkMcpStep } from '../mcp-servers';
import type { KindChecker } from './types';

export const mcpKind: KindChecker = {
  action: 'mcp',
  cacheable: true,
  modelAnswer: false,
  check(context, step) {
    checkMcpStep(step.raw, step.path, reporter(context), keyPosition(context), Object.keys(context.mcpServers));
    return {};
  },
};
