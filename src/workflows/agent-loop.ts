// The loop of an `agent` or `agents` step (spec section 11): model turns and tool calls, each its own activity (deterministic).
import type { AgentTurnInput, AgentTurnOutput } from '../activities/types';
import { isCancellation } from '@temporalio/workflow';
import { FailureType } from '../base/failure-types';
import type { CompiledAgent, CompiledAgentStep, CompiledTool } from '../base/compiled-pipeline';
import type { ChatMessage, ToolCall, ToolDefinition } from '../models/types';
import { addUsage, zeroUsage, type Usage } from '../base/run-types';

/** A tool's answer goes back to the model and into the transcript; past this it is cut, with a note saying so. */
const MAX_TOOL_ANSWER_CHARACTERS = 16_000;

export interface TranscriptEntry {
  agent: string;
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_call: { id: string; name: string; arguments: Record<string, unknown> } | null;
  tool_result: { id: string; name: string; content: string; error: boolean } | null;
}

export interface AgentReport {
  turns: number;
  tool_calls: number;
  usage: Usage;
}

/** An agent step's result. */
export interface AgentResult {
  answer: unknown;
  turns: number;
  transcript: TranscriptEntry[];
  agents: Record<string, AgentReport>;
}

/** A person's answer to a tool call that waits for approval. */
export interface ToolApproval {
  approved: boolean;
  comment: string | null;
  by: string | null;
}

/** What the loop asks of the run: it reaches nothing else. */
export interface AgentLoopRuntime {
  /** One model turn of `agent` (an activity). */
  turn(agent: string, input: Omit<AgentTurnInput, 'stepId' | 'model' | 'temperature' | 'maxTokens' | 'outputSchema'> & { spec: CompiledAgent }): Promise<AgentTurnOutput>;
  /** The step's tools as models see them, keyed by the tool as written (an activity). */
  describeTools(tools: CompiledTool[]): Promise<Record<string, ToolDefinition>>;
  /** Runs one tool call; what it returns (or the message it throws) is the tool's answer to the model. */
  callTool(agent: string, turn: number, tool: CompiledTool, args: Record<string, unknown>): Promise<string>;
  /** Waits for a person to approve a call of a tool in `approve_tools`. */
  approve(agent: string, tool: CompiledTool, args: Record<string, unknown>): Promise<ToolApproval>;
  /** Why the loop must stop now for the budget, given what the step used so far (`run`: the run's budget, not the step's); null to go on. */
  overBudget(used: Usage): { reason: string; run: boolean } | null;
  /** The message of an error from a tool call (the loop turns it into the tool's answer). */
  describeError(error: unknown): string;
}

/** A turn or the tools' description failed for good (retries spent); `result` holds the transcript so far. */
export class AgentFailed extends Error {
  constructor(
    readonly failure: unknown,
    readonly result: AgentResult,
  ) {
    super('the agent loop failed');
    this.name = 'AgentFailed';
  }
}

/** The agent step ended without an answer; `result` (transcript and counts so far) stays on the step. */
export class AgentStopped extends Error {
  constructor(
    message: string,
    readonly type: FailureType,
    readonly result: AgentResult,
    /** Set when the run's budget stopped the loop: the run ends `budget_exceeded`. */
    readonly runBudget: string | null = null,
  ) {
    super(message);
    this.name = 'AgentStopped';
  }
}

function clipped(text: string): string {
  if (text.length <= MAX_TOOL_ANSWER_CHARACTERS) return text;
  return `${text.slice(0, MAX_TOOL_ANSWER_CHARACTERS)}\n[cut: ${text.length - MAX_TOOL_ANSWER_CHARACTERS} more characters]`;
}

/** The tool a member is handed work through: its name is the member's, its one argument the task. */
function memberTool(name: string, agent: CompiledAgent): ToolDefinition {
  const about = agent.system ? ` It is told: ${agent.system}` : '';
  return {
    name: name.replace(/[^a-zA-Z0-9_-]/g, '_'),
    description: `Hands a task to the agent '${name}' and returns its answer.${about}`,
    parameters: { type: 'object', properties: { task: { type: 'string', description: 'What the agent should do, with everything it needs to know.' } }, required: ['task'] },
  };
}

export async function runAgentLoop(stepId: string, plan: CompiledAgentStep, prompt: string, runtime: AgentLoopRuntime): Promise<AgentResult> {
  const result: AgentResult = { answer: null, turns: 0, transcript: [], agents: {} };
  for (const name of [plan.lead, ...plan.members]) result.agents[name] = { turns: 0, tool_calls: 0, usage: zeroUsage() };
  const used = zeroUsage();
  const allTools = [...new Map(Object.values(plan.agents).flatMap((agent) => agent.tools.map((tool) => [tool.name, tool] as const))).values()];
  const definitions = allTools.length > 0 ? await runtime.describeTools(allTools) : {};
  const record = (entry: Partial<TranscriptEntry> & Pick<TranscriptEntry, 'agent' | 'role'>): void => {
    result.transcript.push({ content: null, tool_call: null, tool_result: null, ...entry });
  };
  const stop = (message: string, type: FailureType, runBudget: string | null = null): never => {
    // The failure type leads the message, as every step failure with a type does (`CONFLICT: step …`).
    throw new AgentStopped(`${type}: step '${stepId}': ${message}`, type, result, runBudget);
  };

  const runAgent = async (name: string, task: string): Promise<{ text: string; answer: unknown }> => {
    const agent = plan.agents[name]!;
    const report = result.agents[name]!;
    const tools: Array<{ definition: ToolDefinition; tool: CompiledTool | null; member: string | null }> = agent.tools.map((tool) => ({ definition: definitions[tool.name]!, tool, member: null }));
    if (name === plan.lead) for (const member of plan.members) tools.push({ definition: memberTool(member, plan.agents[member]!), tool: null, member });
    const messages: ChatMessage[] = [...(agent.system ? [{ role: 'system' as const, content: agent.system }] : []), { role: 'user', content: task }];
    record({ agent: name, role: 'user', content: task });

    for (;;) {
      if (result.turns >= plan.maxTurns) stop(`reached max_turns (${plan.maxTurns}) without a final answer`, FailureType.MaxTurns);
      const budget = runtime.overBudget(used);
      if (budget !== null) stop(budget.reason, FailureType.BudgetExceeded, budget.run ? budget.reason : null);
      result.turns++;
      report.turns++;
      const output = await runtime.turn(name, { agent: name, turn: result.turns, messages, tools: tools.map((entry) => entry.definition), spec: agent });
      addUsage(report.usage, output.usage);
      addUsage(used, output.usage);
      const calls: ToolCall[] = output.message.toolCalls ?? [];
      if (calls.length === 0) {
        record({ agent: name, role: 'assistant', content: output.message.content });
        return { text: output.message.content, answer: output.answer !== undefined ? output.answer : output.message.content.trim() };
      }
      messages.push(output.message);
      for (const call of calls) {
        report.tool_calls++;
        const entry = tools.find((candidate) => candidate.definition.name === call.name);
        const shownName = entry?.tool?.name ?? entry?.member ?? call.name;
        record({ agent: name, role: 'assistant', content: output.message.content || null, tool_call: { id: call.id, name: shownName, arguments: call.arguments } });
        let answer: string;
        let error = false;
        if (!entry) {
          answer = `There is no tool '${call.name}'. The tools are: ${tools.map((candidate) => candidate.definition.name).join(', ')}.`;
          error = true;
        } else if (entry.member !== null) {
          const task = typeof call.arguments.task === 'string' ? call.arguments.task : JSON.stringify(call.arguments);
          answer = (await runAgent(entry.member, task)).text;
        } else {
          const tool = entry.tool!;
          const approval = plan.approveTools.includes(tool.name) ? await runtime.approve(name, tool, call.arguments) : null;
          if (approval && !approval.approved) {
            answer = `A person rejected this call${approval.by ? ` (${approval.by})` : ''}${approval.comment ? `: ${approval.comment}` : ''}. Do not call it again the same way.`;
            error = true;
          } else {
            try {
              answer = await runtime.callTool(name, result.turns, tool, call.arguments);
            } catch (failure) {
              answer = `The tool failed: ${runtime.describeError(failure)}`;
              error = true;
            }
          }
        }
        answer = clipped(answer);
        record({ agent: name, role: 'tool', tool_result: { id: call.id, name: shownName, content: answer, error } });
        messages.push({ role: 'tool', content: answer, toolCallId: call.id, toolName: call.name });
      }
    }
  };

  try {
    const final = await runAgent(plan.lead, prompt);
    result.answer = final.answer;
    return result;
  } catch (error) {
    if (error instanceof AgentStopped || isCancellation(error)) throw error;
    throw new AgentFailed(error, result);
  }
}

/** The usage of a finished (or stopped) agent step: every agent's turns added up. */
export function agentUsage(result: AgentResult): Usage {
  const total = zeroUsage();
  for (const report of Object.values(result.agents)) addUsage(total, report.usage);
  return total;
}
