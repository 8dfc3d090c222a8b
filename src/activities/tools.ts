// runTool: one action of one tool of the registry (spec section 19), as an activity whose answer has the dialect's shape.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { dataDirectory } from '../base/paths';
import { FailureType } from '../base/failure-types';
import type { ModelResolver } from '../models/registry';
import type { RunStore } from '../store/run-store';
import { findTool, TOOLS } from '../tools';
import type { KeyValueStore, ToolAction, ToolCallInput, ToolCallOutput, ToolModule, ToolServices } from '../tools/types';
import { openWorkspace } from '../tools/workspace';
import { createMcpActivities, listServerTools } from './mcp';
import { createSandboxActivities, type SandboxDependencies } from './sandbox';
import type { McpServerSpec } from './types';

/** Cloud-provider tools are out of scope: refused by name, not half-built. */
const OUT_OF_SCOPE = /^(aws|gcp|azure)-/;

export function toolUnavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.ToolUnavailable, nonRetryable: true, message });
}

/** The tool and action a step names, or TOOL_UNAVAILABLE saying why not and what would make it available. */
export function toolActionFor(toolName: string, actionName: string, parameters: Record<string, unknown>): { tool: ToolModule; name: string; action: ToolAction } {
  if (OUT_OF_SCOPE.test(toolName)) {
    throw toolUnavailable(`tool '${toolName}' is out of scope for orc (cloud-provider tools are not built): use http-client against the provider's API, or an MCP server for it through mcp-server`);
  }
  const tool = findTool(toolName);
  if (!tool) {
    const names = TOOLS.map((each) => each.name).join(', ');
    throw toolUnavailable(`no tool '${toolName}' on this worker; its tools: ${names || 'none'}. Use one of them, or a worker whose orc has '${toolName}'`);
  }
  const name = tool.actionFor?.(actionName, parameters) ?? (Object.hasOwn(tool.actions, actionName) ? actionName : tool.defaultAction);
  const action = name !== undefined && Object.hasOwn(tool.actions, name) ? tool.actions[name] : undefined;
  if (name === undefined || !action) {
    throw toolUnavailable(`tool '${tool.name}' has no action '${actionName}'; its actions: ${Object.keys(tool.actions).join(', ')}`);
  }
  return { tool, name, action };
}

/** The dialect's shape (pyorc-dialect.md section 5): `success` beside the action's fields under `result`. */
export function dialectResult(fields: Record<string, unknown>, files: string[]): ToolCallOutput {
  const { success, error, ...rest } = fields;
  const ok = typeof success === 'boolean' ? success : true;
  return {
    result: 'success' in fields ? rest : fields,
    success: ok,
    ...(typeof error === 'string' ? { error } : {}),
    ...(files.length > 0 ? { files } : {}),
  };
}

/**
 * The memory tools' key-value store: the run store's memory entries, which `orc cache clear` and `orc gc` leave.
 * Builds before them kept memory as step-cache entries; a key never written since is still read from there.
 */
export function runStoreKeyValue(store: RunStore): KeyValueStore {
  const legacyKey = (key: string): string => `sha256:${createHash('sha256').update(`tool-memory\u0000${key}`).digest('hex')}`;
  const live = (expiresAt: string | null): boolean => expiresAt === null || Date.parse(expiresAt) > Date.now();
  return {
    async get(key) {
      const entry = await store.getMemory(key);
      if (entry) return live(entry.expiresAt) ? entry.value : undefined;
      const legacy = await store.getCacheEntry(legacyKey(key), new Date());
      if (!legacy) return undefined;
      const bytes = await store.getValue(legacy.valueKey);
      return bytes === null ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown);
    },
    async put(key, value, expiresAt) {
      await store.putMemory(key, { value: value ?? null, expiresAt: expiresAt?.toISOString() ?? null });
    },
    async delete(key) {
      // An expired entry (a tombstone), so that an older build's entry for the key is not read instead.
      await store.putMemory(key, { value: null, expiresAt: new Date(0).toISOString() });
    },
  };
}

export interface ToolActivityDependencies {
  /** Where mcp-memory keeps its namespaces (none: memory is unavailable). */
  store?: RunStore;
  sandbox?: SandboxDependencies;
  /** The worker's models, lent to tools that ask one (fact-checker). */
  models?: ModelResolver;
}

function toolServices(dependencies: ToolActivityDependencies, stepId: string): ToolServices {
  const sandbox = createSandboxActivities(dependencies.sandbox);
  const mcp = createMcpActivities();
  return {
    runCode: async (request) => {
      const { attempt: _attempt, cache: _cache, ...answer } = await sandbox.runCode({ stepId, ...request });
      return answer;
    },
    ...(dependencies.store ? { keyValue: runStoreKeyValue(dependencies.store) } : {}),
    ...(dependencies.models ? { models: dependencies.models } : {}),
    listMcpTools: ({ serverName, server }) =>
      listServerTools(serverName, server as unknown as McpServerSpec, { step: stepId, attempt: Context.current().info.attempt }, Context.current().cancellationSignal),
    callMcpTool: async ({ serverName, server, tool, arguments: args }) => {
      const { attempt: _attempt, cache: _cache, ...answer } = await mcp.callMcpTool({ stepId, serverName, server: server as unknown as McpServerSpec, tool, arguments: args });
      return answer as unknown as Record<string, unknown>;
    },
  };
}

/** A run started without a workspace (through the API) gets its own folder in the data directory. */
function workspaceOf(input: ToolCallInput): string {
  return input.workspace !== '' ? input.workspace : path.join(dataDirectory(), 'workspaces', input.runId);
}

export function createToolActivities(dependencies: ToolActivityDependencies = {}) {
  return {
    async runTool(input: ToolCallInput): Promise<ToolCallOutput> {
      const context = Context.current();
      const { tool, name, action } = toolActionFor(input.tool, input.action, input.parameters);
      const availability = await tool.availability(process.env);
      if (!availability.available) throw toolUnavailable(`tool '${tool.name}' is not available on this worker: ${availability.reason}`);
      const parsed = action.parameters.safeParse(input.parameters);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `parameters.${issue.path.join('.') || '(all)'}: ${issue.message}`).join('; ');
        throw ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: `step '${input.stepId}': tool ${tool.name}.${name}: ${problems}` });
      }
      const files: string[] = [];
      const heartbeat = setInterval(() => context.heartbeat(), 1000);
      try {
        const fields = await action.run(parsed.data, {
          workspace: openWorkspace(workspaceOf(input)),
          runId: input.runId,
          stepId: input.stepId,
          attempt: context.info.attempt,
          env: process.env,
          heartbeat: (details) => context.heartbeat(details),
          signal: context.cancellationSignal,
          wrote: (relative) => {
            if (!files.includes(relative)) files.push(relative);
          },
          services: toolServices(dependencies, input.stepId),
          ...(input.dryRun ? { dryRun: true } : {}),
        });
        return { ...dialectResult(fields, files), attempt: context.info.attempt };
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        throw ApplicationFailure.create({ type: FailureType.ToolFailed, message: `tool ${tool.name}.${name} failed: ${(error as Error).message ?? String(error)}` });
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
