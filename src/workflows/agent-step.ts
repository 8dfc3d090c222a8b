// Runs an `agent` or `agents` step: the loop's model turns and tools as activities and child runs, labelled for the Web UI (deterministic).
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import type { CompiledPipeline, CompiledStep, CompiledTool } from '../compiler/types';
import { runAgentLoop, type AgentLoopRuntime, type AgentResult, type ToolApproval } from './agent-loop';
import { WORKFLOW_TYPE } from './definitions';
import type { RunOptions, RunResult, Usage } from './run-types';
import { sandboxActivities, templateActivities } from './step-calls';
import { runCodeInput } from './tool-steps';

/** What the run gives the step: where each model's calls go, approvals, budgets, and how errors read. */
export interface AgentStepHost {
  pipeline: CompiledPipeline;
  options: RunOptions;
  /** The model to call for a spec (a name or a requirement) and its task queue (null: the run's). */
  route(spec: string | Record<string, unknown>): Promise<{ model: string; taskQueue: string | null }>;
  /** Shows `prompt` as the step's pending approval and waits for the `approve` update. */
  approve(prompt: string): Promise<ToolApproval>;
  overBudget(used: Usage): string | null;
  describeError(error: unknown): string;
}

/** Model turns and tool calls of one step: the step's timeout and retries, and a label such as `report · researcher · turn 3`. */
function callsFor(step: CompiledStep, summary: string, taskQueue: string | null = null) {
  return proxyActivities<PipelineActivities>({
    startToCloseTimeout: Math.max(1, Math.round(step.timeoutSeconds * 1000)),
    heartbeatTimeout: Math.max(1000, Math.round(Math.min(step.timeoutSeconds, 15) * 1000)),
    retry: { maximumAttempts: step.maxRetries + 1, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
    ...(taskQueue !== null ? { taskQueue } : {}),
    summary,
  });
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export async function runAgentStep(step: CompiledStep, prompt: string, host: AgentStepHost): Promise<AgentResult> {
  const plan = step.agent!;
  const { pipeline, options } = host;
  let childRuns = 0;

  const callTool = async (agent: string, turn: number, tool: CompiledTool, args: Record<string, unknown>): Promise<string> => {
    const summary = `${step.id} · ${agent} · turn ${turn} · ${tool.name}`;
    if (tool.kind === 'mcp') {
      if (options.dryRun) return `(dry run: ${tool.name} was not called)`;
      const server = pipeline.mcpServers?.[tool.server];
      if (!server) throw new Error(`MCP server '${tool.server}' is not declared`);
      const answer = await callsFor(step, summary).callMcpTool({ stepId: step.id, serverName: tool.server, server, tool: tool.tool, arguments: args });
      return answer.text || JSON.stringify(answer.structured ?? answer.content);
    }
    if (tool.kind === 'run_code') {
      const input = runCodeInput(step, { language: args.language, code: args.code });
      if (options.dryRun) return '(dry run: the code was not run)';
      const ran = await sandboxActivities(workflowInfo().taskQueue, input.timeoutSeconds, step.timeoutSeconds).runCode(input);
      return JSON.stringify({ exit_code: ran.exit_code, stdout: ran.stdout, stderr: ran.stderr, ...(ran.timed_out ? { timed_out: true } : {}), ...(ran.oom_killed ? { oom_killed: true } : {}) });
    }
    const child = await templateActivities.loadChildPipeline({ file: tool.file, relativeTo: null, inputs: args });
    childRuns++;
    const outcome = await executeChild<(input: unknown) => Promise<RunResult>>(WORKFLOW_TYPE, {
      workflowId: `${workflowInfo().workflowId}.${step.id}.tool-${childRuns}`,
      args: [{ pipeline: child.pipeline, inputs: child.inputs, options }],
      staticSummary: summary,
    });
    if (outcome.status !== 'completed' && outcome.status !== 'partially_completed') {
      throw new Error(`pipeline '${child.pipeline.name}' ${outcome.status}: ${outcome.error ?? 'no detail'}`);
    }
    return textOf(outcome.outputs);
  };

  const runtime: AgentLoopRuntime = {
    async turn(agent, input) {
      const spec = options.dryRun ? 'echo' : (input.spec.model ?? step.model ?? options.defaultModel ?? pipeline.config.model);
      const route = await host.route(spec);
      return callsFor(step, `${step.id} · ${agent} · turn ${input.turn}`, route.taskQueue).agentTurn({
        stepId: step.id,
        agent,
        turn: input.turn,
        model: route.model,
        messages: input.messages,
        tools: input.tools,
        temperature: step.temperature ?? pipeline.config.temperature,
        maxTokens: step.maxTokens ?? pipeline.config.maxTokens,
        // Only the answer the step gives is shaped; a member's answer is the coordinator's to read.
        outputSchema: agent === plan.lead ? step.outputSchema : null,
      });
    },
    describeTools(tools) {
      return callsFor(step, `${step.id} · tools`).describeAgentTools({ stepId: step.id, tools, mcpServers: pipeline.mcpServers ?? {} });
    },
    callTool,
    approve(agent, tool, args) {
      return host.approve(`${agent} wants to call ${tool.name} with ${JSON.stringify(args)}`);
    },
    overBudget: (used) => host.overBudget(used),
    describeError: (error) => host.describeError(error),
  };
  return runAgentLoop(step.id, plan, prompt, runtime);
}
