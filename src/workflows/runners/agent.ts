// An `agent` or `agents` step (spec section 11): the loop's model turns and tools as labelled activities and child runs.
import { workflowInfo } from '@temporalio/workflow';
import type { CompiledTool } from '../../base/compiled-pipeline';
import { isCompletedRun, overStepBudget } from '../../base/run-types';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../../base/defaults';
import { FailureType } from '../../base/failure-types';
import { AgentFailed, AgentStopped, agentUsage, runAgentLoop, type AgentLoopRuntime } from '../agent-loop';
import { failureMessage, StepFailure } from '../step-failure';
import { runCodeInput } from '../tool-steps';
import { executeChildPipeline } from './child-pipeline';
import type { StepRunner } from './types';

/** A tool call waiting for `orc approve` waits a week at most, as an approval step does. */

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const runAgentStep: StepRunner = async (run) => {
  const { step, state, context, pipeline, options, routing, activities } = run;
  const plan = step.agent;
  if (!plan) throw new StepFailure(`step '${step.id}': an ${step.actionKind} step compiled without its agents; compile the pipeline again`, { attempts: 0 }, null, FailureType.InvalidStep);
  const { prompt } = await run.renderForStep({ prompt: step.parameters.prompt }, context);
  let childRuns = 0;

  /** The model a spec names and its queue; a requirement is chosen for this step. */
  const route = async (spec: string | Record<string, unknown>): Promise<{ model: string; taskQueue: string | null }> => {
    if (!routing.routeModels || options.dryRun) return { model: typeof spec === 'string' ? spec : JSON.stringify(spec), taskQueue: null };
    const chosen = typeof spec === 'string' ? await routing.routeOf(spec) : await routing.choose(step, spec);
    return { model: chosen.model, taskQueue: chosen.taskQueue };
  };

  const callTool = async (agent: string, turn: number, tool: CompiledTool, args: Record<string, unknown>): Promise<string> => {
    const what = `${agent} · turn ${turn} · ${tool.name}`;
    if (tool.kind === 'mcp') {
      if (options.dryRun) return `(dry run: ${tool.name} was not called)`;
      const server = pipeline.mcpServers?.[tool.server];
      if (!server) throw new Error(`MCP server '${tool.server}' is not declared`);
      const answer = await activities.step(what).callMcpTool({ stepId: step.id, serverName: tool.server, server, tool: tool.tool, arguments: args });
      return answer.text || JSON.stringify(answer.structured ?? answer.content);
    }
    if (tool.kind === 'run_code') {
      const input = runCodeInput(step, { language: args.language, code: args.code });
      if (options.dryRun) return '(dry run: the code was not run)';
      const ran = await activities.sandbox(what, input.timeoutSeconds).runCode(input);
      return JSON.stringify({ exit_code: ran.exit_code, stdout: ran.stdout, stderr: ran.stderr, ...(ran.timed_out ? { timed_out: true } : {}), ...(ran.oom_killed ? { oom_killed: true } : {}) });
    }
    const child = await activities.template(`load ${tool.name}`).loadChildPipeline({ file: tool.file, relativeTo: null, inputs: args });
    childRuns++;
    const outcome = await executeChildPipeline(activities, what, `${workflowInfo().workflowId}.${step.id}.tool-${childRuns}`, child, options);
    if (!isCompletedRun(outcome.status)) {
      throw new Error(`pipeline '${child.pipeline.name}' ${outcome.status}: ${outcome.error ?? 'no detail'}`);
    }
    return textOf(outcome.outputs);
  };

  const runtime: AgentLoopRuntime = {
    async turn(agent, input) {
      const spec = options.dryRun ? 'echo' : (input.spec.model ?? step.model ?? options.defaultModel ?? pipeline.config.model);
      const { model, taskQueue } = await route(spec);
      const output = await activities.step(`${agent} · turn ${input.turn}`, taskQueue).agentTurn({
        stepId: step.id,
        agent,
        turn: input.turn,
        model,
        messages: input.messages,
        tools: input.tools,
        temperature: step.temperature ?? pipeline.config.temperature,
        maxTokens: step.maxTokens ?? pipeline.config.maxTokens,
        // Only the answer the step gives is shaped; a member's answer is the coordinator's to read.
        outputSchema: agent === plan.lead ? step.outputSchema : null,
      });
      // The step's model is the first one that answered, as `provider:model`.
      state.model ??= output.model;
      return output;
    },
    describeTools(tools) {
      return activities.step('tools').describeAgentTools({ stepId: step.id, tools, mcpServers: pipeline.mcpServers ?? {} });
    },
    callTool,
    async approve(agent, tool, args) {
      state.status = 'waiting';
      const decision = await run.approvals.wait(step.id, `${agent} wants to call ${tool.name} with ${JSON.stringify(args)}`, DEFAULT_APPROVAL_TIMEOUT_SECONDS);
      // Every call is decided on its own: the decision is taken off once read, so the next call waits again.
      run.approvals.decisions.delete(step.id);
      state.status = 'running';
      if (!decision) return { approved: false, comment: `no decision within ${DEFAULT_APPROVAL_TIMEOUT_SECONDS}s`, by: null };
      return { approved: decision.approved, comment: decision.comment ?? null, by: decision.by ?? null };
    },
    overBudget(used) {
      const over = overStepBudget(step.budget, used);
      if (over !== null) return { reason: over, run: false };
      const runStop = run.budgetStop(used);
      return runStop === null ? null : { reason: runStop, run: true };
    },
    describeError: (error) => failureMessage(error, step),
  };

  try {
    const result = await runAgentLoop(step.id, plan, textOf(prompt), runtime);
    return { result, usage: agentUsage(result), attempts: 1 };
  } catch (error) {
    if (error instanceof AgentFailed) {
      // A turn that failed for good fails the step with its own message; the transcript so far stays.
      throw new StepFailure(failureMessage(error.failure, step), { result: error.result, usage: agentUsage(error.result), attempts: 1 });
    }
    if (!(error instanceof AgentStopped)) throw error;
    // The transcript so far stays on the step; the message starts with why it stopped (MAX_TURNS, BUDGET_EXCEEDED).
    throw new StepFailure(error.message, { result: error.result, usage: agentUsage(error.result), attempts: 1 }, error.runBudget, error.type);
  }
};
