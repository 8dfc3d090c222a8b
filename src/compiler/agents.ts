// Named agents (`agents:`) and the `agent` / `agents` steps that run them (spec section 11), checked with line:column.
import * as path from 'node:path';
import { didYouMean, type Diagnostic } from './diagnostics';
import type { Position, YamlPath } from './source';
import type { CompiledAgent, CompiledAgentStep, CompiledTool } from '../base/compiled-pipeline';
import { decidedAtRunTime, isPlainObject, type PlainObject } from './values';

type Report = (code: Diagnostic['code'], message: string, at: YamlPath, position?: Position) => void;
type KeyPosition = (mapPath: YamlPath, key: string) => Position;

/** An agent that does not say gets this many turns (model turns, counted over every agent of a step). */
export const DEFAULT_MAX_TURNS = 10;
const AGENT_KEYS = ['model', 'system', 'tools'] as const;
const AGENT_STEP_PARAMETERS = ['agent', 'model', 'system', 'tools', 'prompt', 'max_turns', 'approve_tools'] as const;
const TEAM_STEP_PARAMETERS = ['coordinator', 'members', 'prompt', 'max_turns', 'approve_tools'] as const;
const PIPELINE_TOOL = 'pipeline:';

/** Providers take tool names of letters, digits, `_` and `-`, at most 64, starting with a letter or `_` (Gemini). */
export function toolWireName(text: string): string {
  const name = text.replace(/[^a-zA-Z0-9_-]/g, '_');
  return (/^[a-zA-Z_]/.test(name) ? name : `_${name}`).slice(0, 64);
}

/** One tool as written (`SERVER.TOOL`, `run_code`, `pipeline:FILE`), or a message saying what is wrong with it. */
function compileTool(text: string, serverNames: string[], pipelineFile: string | null): CompiledTool | string {
  if (text === 'run_code') return { kind: 'run_code', name: text, wireName: 'run_code' };
  if (text.startsWith(PIPELINE_TOOL)) {
    const file = text.slice(PIPELINE_TOOL.length).trim();
    if (file === '') return `tool '${text}' must name a pipeline file after 'pipeline:'`;
    // A relative file is the pipeline file's, wherever `orc` is started from (as `action: pipeline` reads it).
    const resolved = pipelineFile !== null && !path.isAbsolute(file) ? path.join(path.dirname(pipelineFile), file) : file;
    return { kind: 'pipeline', name: text, wireName: toolWireName(path.basename(file).replace(/\.ya?ml$/, '')), file: resolved };
  }
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1) {
    return `unknown tool '${text}': a tool is SERVER.TOOL (an MCP server from mcp_servers and one of its tools), run_code, or pipeline:FILE`;
  }
  const server = text.slice(0, dot);
  if (!serverNames.includes(server)) {
    const declared = serverNames.length > 0 ? `declared: ${serverNames.join(', ')}` : 'none is declared';
    return `tool '${text}' is on MCP server '${server}', which mcp_servers does not declare (${declared})${didYouMean(server, serverNames)}`;
  }
  return { kind: 'mcp', name: text, wireName: toolWireName(text), server, tool: text.slice(dot + 1) };
}

function compileTools(raw: unknown, at: YamlPath, report: Report, serverNames: string[], pipelineFile: string | null): CompiledTool[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    report('INVALID_VALUE', "'tools' must be a list: SERVER.TOOL, run_code or pipeline:FILE", at);
    return [];
  }
  const tools: CompiledTool[] = [];
  raw.forEach((entry, index) => {
    if (typeof entry !== 'string') {
      report('INVALID_VALUE', 'a tool must be written as text: SERVER.TOOL, run_code or pipeline:FILE', [...at, index]);
      return;
    }
    const tool = compileTool(entry.trim(), serverNames, pipelineFile);
    if (typeof tool === 'string') {
      report('UNKNOWN_REFERENCE', tool, [...at, index]);
      return;
    }
    const clash = tools.find((other) => other.wireName === tool.wireName);
    if (clash) report('INVALID_VALUE', `tools '${clash.name}' and '${tool.name}' would both be called '${tool.wireName}' by the model`, [...at, index]);
    else tools.push(tool);
  });
  return tools;
}

function compileAgent(name: string, raw: PlainObject, at: YamlPath, report: Report, serverNames: string[], pipelineFile: string | null): CompiledAgent {
  if (raw.system !== undefined && typeof raw.system !== 'string') report('INVALID_VALUE', `agent '${name}': 'system' must be text`, [...at, 'system']);
  if (raw.model !== undefined && typeof raw.model !== 'string' && !isPlainObject(raw.model)) {
    report('INVALID_VALUE', `agent '${name}': 'model' must be a model spec or a requirement`, [...at, 'model']);
  }
  return {
    model: typeof raw.model === 'string' || isPlainObject(raw.model) ? (raw.model as string | PlainObject) : null,
    system: typeof raw.system === 'string' ? raw.system : null,
    tools: compileTools(raw.tools, [...at, 'tools'], report, serverNames, pipelineFile),
  };
}

/** The top-level `agents:` mapping. */
export function compileAgents(raw: unknown, report: Report, keyPosition: KeyPosition, serverNames: string[], pipelineFile: string | null): Record<string, CompiledAgent> {
  const agents: Record<string, CompiledAgent> = {};
  if (raw === undefined || raw === null) return agents;
  if (!isPlainObject(raw)) {
    report('INVALID_VALUE', "'agents' must map agent names to { model, system, tools }", ['agents']);
    return agents;
  }
  for (const [name, entry] of Object.entries(raw)) {
    const at = ['agents', name];
    if (!/^[a-zA-Z][a-zA-Z0-9_-]*$/.test(name)) report('BAD_ID', `agent name '${name}' must start with a letter and hold only letters, digits, '_' and '-'`, at, keyPosition(['agents'], name));
    if (!isPlainObject(entry)) {
      report('INVALID_VALUE', `agent '${name}' must be a mapping: { model, system, tools }`, at);
      continue;
    }
    // Unknown keys of an agent are the JSON Schema's to report.
    agents[name] = compileAgent(name, entry, at, report, serverNames, pipelineFile);
  }
  return agents;
}

/** The name of the agent an `action: agent` step defines inline. */
export const INLINE_AGENT = 'agent';

/** One agent or agents step being checked: where it is and what it may name. */
interface AgentStepSite {
  id: string;
  kind: 'agent' | 'agents';
  at: YamlPath;
  parameters: PlainObject;
  parametersAt: YamlPath;
  report: Report;
  keyPosition: KeyPosition;
  named: Record<string, CompiledAgent>;
}

/** The agents a step runs, and which one gets the prompt. */
interface StepAgents {
  lead: string | null;
  members: string[];
  agents: Record<string, CompiledAgent>;
}

/** An `agent` or `agents` step's parameters as the workflow runs them, or null where they are wrong (reported). */
export function compileAgentStep(
  step: PlainObject,
  kind: 'agent' | 'agents',
  at: YamlPath,
  report: Report,
  keyPosition: KeyPosition,
  named: Record<string, CompiledAgent>,
  serverNames: string[],
  pipelineFile: string | null,
): CompiledAgentStep | null {
  const id = typeof step.id === 'string' ? `'${step.id}'` : `#${Number(at[at.length - 1]) + 1}`;
  const parameters = step.parameters;
  const shape = kind === 'agent' ? '{ agent (or model, system, tools), prompt, max_turns, approve_tools }' : '{ coordinator, members, prompt, max_turns }';
  if (!isPlainObject(parameters)) {
    report('MISSING_FIELD', `step ${id}: action '${kind}' needs parameters: ${shape}`, [...at, 'parameters'], keyPosition(at, parameters === undefined ? 'action' : 'parameters'));
    return null;
  }
  const site: AgentStepSite = { id, kind, at, parameters, parametersAt: [...at, 'parameters'], report, keyPosition, named };
  const maxTurns = checkAgentParameters(site);
  const chosen = kind === 'agent' ? singleAgent(site, serverNames, pipelineFile) : team(site);
  if (!chosen || chosen.lead === null) return null;
  return { kind, lead: chosen.lead, members: chosen.members, agents: chosen.agents, maxTurns, approveTools: approveToolsOf(site, chosen.agents) };
}

/** Unknown parameters, the prompt, max_turns (returned). */
function checkAgentParameters(site: AgentStepSite): number {
  const { id, kind, parameters, parametersAt, report, keyPosition } = site;
  const known: readonly string[] = kind === 'agent' ? AGENT_STEP_PARAMETERS : TEAM_STEP_PARAMETERS;
  for (const key of Object.keys(parameters).filter((name) => !known.includes(name))) {
    report('UNKNOWN_KEY', `unknown parameter '${key}' in ${kind} step ${id}: it takes ${known.join(', ')}${didYouMean(key, known)}`, [...parametersAt, key], keyPosition(parametersAt, key));
  }
  if (parameters.prompt === undefined || parameters.prompt === null) {
    report('MISSING_FIELD', `step ${id}: action '${kind}' needs parameters.prompt: the task`, [...parametersAt, 'prompt'], keyPosition(site.at, 'parameters'));
  }
  if (parameters.max_turns === undefined) return DEFAULT_MAX_TURNS;
  if (typeof parameters.max_turns === 'number' && Number.isInteger(parameters.max_turns) && parameters.max_turns >= 1) return parameters.max_turns;
  report('INVALID_VALUE', `step ${id}: parameters.max_turns must be a whole number of at least 1`, [...parametersAt, 'max_turns']);
  return DEFAULT_MAX_TURNS;
}

function knownAgent(site: AgentStepSite, name: unknown, where: YamlPath, role: string): string | null {
  if (typeof name !== 'string' || name === '') {
    site.report('MISSING_FIELD', `step ${site.id}: parameters.${role} must name an agent from 'agents'`, where, site.keyPosition(site.at, 'parameters'));
    return null;
  }
  if (!site.named[name]) {
    const names = Object.keys(site.named);
    site.report('UNKNOWN_REFERENCE', `step ${site.id}: unknown agent '${name}'${didYouMean(name, names)} (agents: ${names.join(', ') || 'none declared'})`, where);
    return null;
  }
  return name;
}

/** `action: agent`: a named agent, or one defined inline by model/system/tools. */
function singleAgent(site: AgentStepSite, serverNames: string[], pipelineFile: string | null): StepAgents | null {
  const { parameters, parametersAt } = site;
  const inline = AGENT_KEYS.some((key) => parameters[key] !== undefined);
  if (parameters.agent !== undefined && inline) {
    site.report('INVALID_VALUE', `step ${site.id}: give parameters.agent or an inline model/system/tools, not both`, [...parametersAt, 'agent']);
    return null;
  }
  if (parameters.agent === undefined) {
    return { lead: INLINE_AGENT, members: [], agents: { [INLINE_AGENT]: compileAgent(INLINE_AGENT, parameters, parametersAt, site.report, serverNames, pipelineFile) } };
  }
  const lead = knownAgent(site, parameters.agent, [...parametersAt, 'agent'], 'agent');
  return { lead, members: [], agents: lead !== null ? { [lead]: site.named[lead]! } : {} };
}

/** `action: agents`: a coordinator and its members, all named. */
function team(site: AgentStepSite): StepAgents {
  const { id, parameters, parametersAt, report } = site;
  const agents: Record<string, CompiledAgent> = {};
  const members: string[] = [];
  const lead = knownAgent(site, parameters.coordinator, [...parametersAt, 'coordinator'], 'coordinator');
  if (lead !== null) agents[lead] = site.named[lead]!;
  if (!Array.isArray(parameters.members) || parameters.members.length === 0) {
    report('MISSING_FIELD', `step ${id}: action 'agents' needs parameters.members: the agents the coordinator hands tasks to`, [...parametersAt, 'members'], site.keyPosition(site.at, 'parameters'));
    return { lead, members, agents };
  }
  parameters.members.forEach((member, index) => {
    const name = knownAgent(site, member, [...parametersAt, 'members', index], 'members');
    if (name === null) return;
    if (name === lead) report('INVALID_VALUE', `step ${id}: the coordinator '${name}' cannot also be a member`, [...parametersAt, 'members', index]);
    else if (!members.includes(name)) {
      members.push(name);
      agents[name] = site.named[name]!;
    }
  });
  // A member is handed work through a tool of its own name; it must not clash with one of the coordinator's tools.
  const leadTools = lead !== null ? agents[lead]!.tools : [];
  for (const member of members) {
    if (leadTools.some((tool) => tool.wireName === toolWireName(member))) {
      report('INVALID_VALUE', `step ${id}: member '${member}' has the name of one of the coordinator's tools`, [...parametersAt, 'members']);
    }
  }
  return { lead, members, agents };
}

function approveToolsOf(site: AgentStepSite, agents: Record<string, CompiledAgent>): string[] {
  const approveTools: string[] = [];
  const approve = site.parameters.approve_tools;
  const at = [...site.parametersAt, 'approve_tools'];
  if (approve === undefined || decidedAtRunTime(approve)) return approveTools;
  if (!Array.isArray(approve)) {
    site.report('INVALID_VALUE', `step ${site.id}: parameters.approve_tools must be a list of tools`, at);
    return approveTools;
  }
  const toolNames = [...new Set(Object.values(agents).flatMap((agent) => agent.tools.map((tool) => tool.name)))];
  approve.forEach((name, index) => {
    if (typeof name === 'string' && toolNames.includes(name)) approveTools.push(name);
    else site.report('UNKNOWN_REFERENCE', `step ${site.id}: approve_tools names '${String(name)}', which no agent of this step has${typeof name === 'string' ? didYouMean(name, toolNames) : ''} (tools: ${toolNames.join(', ') || 'none'})`, [...at, index]);
  });
  return approveTools;
}
