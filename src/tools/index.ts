// The one table of tools (spec section 19): a new tool is a module file and a line here.
import { audioProcessingTool, videoProcessingTool } from './audio-processing';
import { dataProcessingTool } from './data-processing';
import { databaseTool } from './database';
import { headlessBrowserTool } from './headless-browser';
import { imageAnalysisTool } from './image-analysis';
import { imageGenerationTool } from './image-generation';
import { pdfCompilerTool } from './pdf-compiler';
import { speechToTextTool } from './speech-to-text';
import { visualizationTool } from './visualization';
import type { ToolModule } from './types';

export const TOOLS: readonly ToolModule[] = [
  dataProcessingTool,
  headlessBrowserTool,
  pdfCompilerTool,
  visualizationTool,
  imageGenerationTool,
  imageAnalysisTool,
  speechToTextTool,
  audioProcessingTool,
  videoProcessingTool,
  databaseTool,
];

/** The tool a step names, by name or alias; undefined when there is none. */
export function findTool(name: string): ToolModule | undefined {
  return TOOLS.find((tool) => tool.name === name || tool.aliases?.includes(name));
}

export type { ToolModule, ToolAction, ToolContext, ToolCallInput, ToolCallOutput, Workspace, Availability } from './types';
