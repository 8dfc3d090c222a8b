// Agent activities: describing an agent step's tools to its models, and one model turn (spec section 11).
import { ApplicationFailure, Context } from '@temporalio/activity';
import { compilePipelineFile, formatDiagnostic } from '../compiler';
import { didYouMean } from '../compiler/diagnostics';
import { RUN_CODE_LANGUAGES } from '../compiler/run-code-rules';
import type { CompiledTool } from '../base/compiled-pipeline';
import { addUsage } from '../base/run-types';
import { invalidStep } from '../base/failure-types';
import type { ModelResolver } from '../models/registry';
import type { ToolDefinition } from '../models/types';
import { toApplicationFailure } from './errors';
import { keepHeartbeating } from './generate';
import { listServerTools, type McpToolDescription } from './mcp';
import { schemaProblems } from './schema-check';
import type { AgentTurnInput, AgentTurnOutput, DescribeAgentToolsInput } from './types';

const RUN_CODE_TOOL_PARAMETERS = {
  type: 'object',
  properties: {
    language: { type: 'string', enum: [...RUN_CODE_LANGUAGES] },
    code: { type: 'string', description: 'The whole program.' },
  },
  required: ['language', 'code'],
};

/** An MCP tool's argument schema as providers take it: an object schema, without the `$schema` some servers add. */
function argumentSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema ?? {};
  return rest.type === 'object' ? rest : { type: 'object', properties: {}, ...rest };
}

/** A child pipeline's inputs are the tool's arguments. */
function pipelineTool(tool: Extract<CompiledTool, { kind: 'pipeline' }>, stepId: string): ToolDefinition {
  const compiled = compilePipelineFile(tool.file);
  if (!compiled.ok) {
    throw invalidStep(`step '${stepId}': the pipeline of tool '${tool.name}' is invalid:\n${compiled.diagnostics.map((diagnostic) => formatDiagnostic(tool.file, diagnostic)).join('\n')}`);
  }
  const { pipeline } = compiled;
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(pipeline.inputs)) {
    properties[name] = { type: spec.type, ...(spec.description ? { description: spec.description } : {}), ...(spec.enum ? { enum: spec.enum } : {}) };
    if (spec.required && spec.default === undefined) required.push(name);
  }
  return {
    name: tool.wireName,
    description: pipeline.description ?? `Runs the pipeline '${pipeline.name}' and returns its outputs.`,
    parameters: { type: 'object', properties, ...(required.length > 0 ? { required } : {}) },
  };
}

export interface AgentActivityDependencies {
  models: ModelResolver;
}

export function createAgentActivities(dependencies: AgentActivityDependencies) {
  return {
    /** Each tool as its models see it (name, description, argument schema), keyed by the tool as written; each MCP server is asked once. */
    async describeAgentTools(input: DescribeAgentToolsInput): Promise<Record<string, ToolDefinition>> {
      const context = Context.current();
      const where = { step: input.stepId, attempt: context.info.attempt };
      const definitions: Record<string, ToolDefinition> = {};
      const listed = new Map<string, McpToolDescription[]>();
      for (const tool of input.tools) {
        if (tool.kind === 'run_code') {
          definitions[tool.name] = {
            name: tool.wireName,
            description: 'Runs a program in a locked-down sandbox without network access and returns its stdout, stderr and exit code.',
            parameters: RUN_CODE_TOOL_PARAMETERS,
          };
        } else if (tool.kind === 'pipeline') {
          definitions[tool.name] = pipelineTool(tool, input.stepId);
        } else {
          const spec = input.mcpServers[tool.server];
          if (!spec) throw invalidStep(`step '${input.stepId}': tool '${tool.name}' is on MCP server '${tool.server}', which the pipeline does not declare`);
          let tools = listed.get(tool.server);
          if (!tools) {
            tools = await listServerTools(tool.server, spec, where, context.cancellationSignal);
            listed.set(tool.server, tools);
          }
          const found = tools.find((candidate) => candidate.name === tool.tool);
          if (!found) {
            const names = tools.map((candidate) => candidate.name);
            throw invalidStep(`step '${input.stepId}': MCP server '${tool.server}' has no tool '${tool.tool}'${didYouMean(tool.tool, names)}; its tools: ${names.join(', ') || 'none'}`);
          }
          definitions[tool.name] = { name: tool.wireName, description: found.description, parameters: argumentSchema(found.inputSchema) };
        }
      }
      return definitions;
    },

    /** One model turn: the assistant's tool calls, or its final answer (shaped by the step's output schema when it has one). */
    async agentTurn(input: AgentTurnInput): Promise<AgentTurnOutput> {
      const context = Context.current();
      const attempt = context.info.attempt;
      const heartbeat = keepHeartbeating(context);
      try {
        const model = dependencies.models.resolve(input.model);
        const settings = {
          ...(input.temperature !== null ? { temperature: input.temperature } : {}),
          ...(input.maxTokens !== null ? { maxTokens: input.maxTokens } : {}),
          signal: context.cancellationSignal,
        };
        const response = await model.generate({ messages: input.messages, ...(input.tools.length > 0 ? { tools: input.tools } : {}), ...settings });
        const usage = { ...response.usage };
        const toolCalls = response.toolCalls ?? [];
        const message = { role: 'assistant' as const, content: response.text, ...(toolCalls.length > 0 ? { toolCalls } : {}) };
        if (toolCalls.length > 0 || input.outputSchema === null) return { message, model: model.id, usage, attempt };

        // The final answer, asked once more in the step's shape: tools and a JSON Schema do not go in one request.
        const shaped = await model.generate({
          messages: [...input.messages, message, { role: 'user', content: 'Give that final answer as JSON in the required shape.' }],
          jsonSchema: input.outputSchema,
          ...settings,
        });
        addUsage(usage, shaped.usage);
        const problems = schemaProblems(input.outputSchema, shaped.json);
        if (problems !== null) throw new Error(`${model.id} gave a final answer that does not match the step's output schema: ${problems}`);
        return { message, answer: shaped.json, model: model.id, usage, attempt };
      } catch (error) {
        throw toApplicationFailure(error, { step: input.stepId, attempt });
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
