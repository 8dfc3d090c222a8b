// Parameters of run_code and mcp steps, checked and given their defaults (deterministic: no I/O).
import { isPlainObject } from '../base/plain-object';
import type { McpServerSpec, RunCodeInput } from '../activities/types';
import { parseDuration } from '../compiler/durations';
import { mcpServerFromText } from '../compiler/mcp-server-text';
import { DEFAULT_CODE_MEMORY_MB, DEFAULT_CODE_TIMEOUT_SECONDS, isSafeWorkFileName, MAX_CODE_MEMORY_MB, MIN_CODE_MEMORY_MB, RUN_CODE_LANGUAGES } from '../compiler/run-code-rules';
import type { CompiledStep } from '../base/compiled-pipeline';
import { invalidStep } from '../base/failure-types';

function refuse(step: CompiledStep, message: string): never {
  throw invalidStep(`step '${step.id}': ${message}`);
}

/** A rendered run_code step's parameters as the sandbox activity takes them. */
export function runCodeInput(step: CompiledStep, parameters: Record<string, unknown>): RunCodeInput {
  const language = parameters.language ?? 'python';
  if (typeof language !== 'string' || !(RUN_CODE_LANGUAGES as readonly string[]).includes(language)) {
    refuse(step, `parameters.language must be one of ${RUN_CODE_LANGUAGES.join(', ')}, got ${JSON.stringify(language)}`);
  }
  const code = parameters.code;
  if (typeof code !== 'string' || code.trim() === '') refuse(step, 'parameters.code must be the program to run');
  const timeoutSeconds =
    parameters.timeout === undefined || parameters.timeout === null ? Math.min(DEFAULT_CODE_TIMEOUT_SECONDS, step.timeoutSeconds) : parseDuration(parameters.timeout);
  if (timeoutSeconds === undefined) refuse(step, `parameters.timeout must be a duration such as 30 or "2m", got ${JSON.stringify(parameters.timeout)}`);
  const memoryMb = parameters.memory_mb ?? DEFAULT_CODE_MEMORY_MB;
  if (typeof memoryMb !== 'number' || !Number.isInteger(memoryMb) || memoryMb < MIN_CODE_MEMORY_MB || memoryMb > MAX_CODE_MEMORY_MB) {
    refuse(step, `parameters.memory_mb must be a whole number from ${MIN_CODE_MEMORY_MB} to ${MAX_CODE_MEMORY_MB}, got ${JSON.stringify(memoryMb)}`);
  }
  const files: Record<string, string> = {};
  const given = parameters.files ?? {};
  if (!isPlainObject(given)) refuse(step, 'parameters.files must map file names to their contents');
  for (const [name, content] of Object.entries(given)) {
    if (!isSafeWorkFileName(name)) refuse(step, `file name '${name}' must be a relative path inside the work directory`);
    files[name] = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
  }
  return { stepId: step.id, language: language as RunCodeInput['language'], code: codeFromText(code), timeoutSeconds, memoryMb, files };
}

/**
 * Models often wrap code in a Markdown fence with prose around it: the first fenced block is the program.
 * Text without a fence is taken as it is.
 */
export function codeFromText(text: string): string {
  const fenced = /```[^\n`]*\n([\s\S]*?)(?:```|$)/.exec(text);
  return fenced ? fenced[1]! : text;
}

/**
 * `server` is a name from the pipeline's `mcp_servers`, a Streamable HTTP URL, or a stdio command line
 * (split on spaces; use `mcp_servers` with `command` and `args` for arguments that contain spaces).
 */
export function mcpServerFor(step: CompiledStep, server: unknown, named: Record<string, McpServerSpec>): { serverName: string; server: McpServerSpec } {
  if (isPlainObject(server)) {
    const spec = server;
    if (typeof spec.url === 'string') return { serverName: spec.url, server: spec as McpServerSpec };
    if (typeof spec.command === 'string') return { serverName: spec.command, server: spec as McpServerSpec };
    refuse(step, 'parameters.server must have a `command` or a `url`');
  }
  if (typeof server !== 'string' || server.trim() === '') refuse(step, 'parameters.server must name an MCP server, a URL or a command');
  const known = Object.prototype.hasOwnProperty.call(named, server) ? named[server] : undefined;
  if (known) return { serverName: server, server: known };
  return { serverName: server, server: mcpServerFromText(server) };
}
