// The one table of tools (spec section 19): a new tool is a module file and a line here.
import { filesystemTool } from './filesystem';
import { httpClientTool } from './http-client';
import { mcpServerTool } from './mcp-server';
import { mcpMemoryTool, memoryTool } from './memory';
import { multiModelRoutingTool, promptOptimizationTool, taskDelegationTool } from './model-routing';
import { markdownToHtmlTool, reportGeneratorTool } from './report-generator';
import { pythonExecutorTool, terminalTool } from './sandboxed-code';
import type { ToolModule } from './types';
import { validationTool } from './validation';
import { webSearchTool } from './web-search';
import { approvalGateTool, feedbackCollectionTool, pipelineExecutorTool, userPromptTool } from './workflow-side-tools';

export const TOOLS: readonly ToolModule[] = [
  filesystemTool,
  httpClientTool,
  webSearchTool,
  terminalTool,
  pythonExecutorTool,
  validationTool,
  reportGeneratorTool,
  markdownToHtmlTool,
  mcpServerTool,
  mcpMemoryTool,
  memoryTool,
  pipelineExecutorTool,
  userPromptTool,
  approvalGateTool,
  feedbackCollectionTool,
  multiModelRoutingTool,
  taskDelegationTool,
  promptOptimizationTool,
];

/** The tool a step names, by name or alias; undefined when there is none. */
export function findTool(name: string): ToolModule | undefined {
  return TOOLS.find((tool) => tool.name === name || tool.aliases?.includes(name));
}

export type { ToolModule, ToolAction, ToolContext, ToolCallInput, ToolCallOutput, Workspace, Availability } from './types';
