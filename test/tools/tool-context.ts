// A ToolContext over a real workspace in a temporary directory, for calling a tool's actions directly.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toolActionFor } from '../../src/activities/tools';
import type { ToolContext } from '../../src/tools/types';
import { openWorkspace } from '../../src/tools/workspace';

export interface TestToolContext extends ToolContext {
  written: string[];
  remove(): void;
}

export function toolContext(env: NodeJS.ProcessEnv = process.env): TestToolContext {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-tool-ws-'));
  const written: string[] = [];
  return {
    workspace: openWorkspace(root),
    runId: 'run-test',
    stepId: 'step',
    attempt: 1,
    env,
    heartbeat: () => undefined,
    signal: new AbortController().signal,
    wrote: (file) => written.push(file),
    written,
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** Calls a tool's action as the runTool activity finds it (by the step's tool and action names), parameters parsed. */
export async function callTool(toolName: string, actionName: string, parameters: Record<string, unknown>, context: ToolContext): Promise<Record<string, unknown>> {
  const { action } = toolActionFor(toolName, actionName, parameters);
  return action.run(action.parameters.parse(parameters), context);
}
