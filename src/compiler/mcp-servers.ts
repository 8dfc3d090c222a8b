// MCP servers a pipeline names (`mcp_servers`, top level or in config) and the parameters of its `mcp` steps.
import * as path from 'node:path';
import { didYouMean, type Diagnostic } from './diagnostics';
import { mcpServerFromText, type McpServer } from './mcp-server-text';
import type { Position, YamlPath } from './source';
import { decidedAtRunTime, isPlainObject, type PlainObject } from './values';

type Report = (code: Diagnostic['code'], message: string, at: YamlPath, position?: Position) => void;
const STDIO_ONLY = ['args', 'env', 'cwd'] as const;
const HTTP_ONLY = ['headers'] as const;

/** Scalars YAML may have typed (`PORT: 3001`, `--verbose: true`) become the strings a process is given. */
function scalarText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function textMap(value: unknown): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  const entries = Object.entries(value).flatMap(([key, item]) => {
    const text = scalarText(item);
    return text === undefined ? [] : [[key, text] as const];
  });
  return Object.fromEntries(entries);
}

/**
 * One entry of `mcp_servers`. Types and unknown keys are the JSON Schema's to report; this checks what a schema
 * says badly: a server is either started (`command`) or reached (`url`), and each takes only its own keys.
 */
function compileServer(name: string, raw: unknown, at: YamlPath, report: Report, pipelineFolder: string | null): McpServer | undefined {
  if (typeof raw === 'string') return raw.trim() === '' ? undefined : mcpServerFromText(raw);
  if (!isPlainObject(raw)) return undefined;
  const hasCommand = raw.command !== undefined;
  const hasUrl = raw.url !== undefined;
  if (hasCommand === hasUrl) {
    report(
      hasCommand ? 'INVALID_VALUE' : 'MISSING_FIELD',
      hasCommand
        ? `MCP server '${name}' has both 'command' and 'url': give 'command' (started over stdio) or 'url' (Streamable HTTP), not both`
        : `MCP server '${name}' needs 'command' (a program started over stdio) or 'url' (a Streamable HTTP endpoint)`,
      at,
    );
    return undefined;
  }
  const misplaced = (hasCommand ? HTTP_ONLY : STDIO_ONLY).filter((key) => raw[key] !== undefined);
  for (const key of misplaced) {
    report('INVALID_VALUE', `'${key}' only applies to ${hasCommand ? "a 'url'" : "a 'command'"} MCP server, and '${name}' has ${hasCommand ? "a 'command'" : "a 'url'"}`, [...at, key]);
  }
  if (misplaced.length > 0) return undefined;
  if (hasUrl) {
    if (typeof raw.url !== 'string') return undefined;
    const headers = textMap(raw.headers);
    return { url: raw.url, ...(headers ? { headers } : {}) };
  }
  if (typeof raw.command !== 'string' || raw.command.trim() === '') return undefined;
  const args = Array.isArray(raw.args) ? raw.args.map(scalarText).filter((arg): arg is string => arg !== undefined) : undefined;
  const env = textMap(raw.env);
  // A relative folder is the pipeline file's, wherever `orc` is started from.
  const cwd = typeof raw.cwd === 'string' && raw.cwd !== '' ? (pipelineFolder !== null && !path.isAbsolute(raw.cwd) ? path.join(pipelineFolder, raw.cwd) : raw.cwd) : undefined;
  return { command: raw.command, ...(args ? { args } : {}), ...(env ? { env } : {}), ...(cwd ? { cwd } : {}) };
}

/** `mcp_servers` from the config and the top level; on a name in both, the top level wins. */
export function compileMcpServers(
  sections: ReadonlyArray<{ raw: unknown; at: YamlPath }>,
  report: Report,
  pipelineFile: string | null,
): Record<string, McpServer> {
  const servers: Record<string, McpServer> = {};
  const pipelineFolder = pipelineFile === null ? null : path.dirname(pipelineFile);
  for (const { raw, at } of sections) {
    if (!isPlainObject(raw)) continue;
    for (const [name, entry] of Object.entries(raw)) {
      const server = compileServer(name, entry, [...at, name], report, pipelineFolder);
      if (server) servers[name] = server;
    }
  }
  return servers;
}

/**
 * An `mcp` step needs `server` and `tool`, and `arguments` (if any) must be a mapping: caught here, with the line,
 * rather than when the run reaches the step.
 */
export function checkMcpStep(step: PlainObject, at: YamlPath, report: Report, keyPosition: (mapPath: YamlPath, key: string) => Position, serverNames: string[]): void {
  const id = typeof step.id === 'string' ? `'${step.id}'` : `#${Number(at[at.length - 1]) + 1}`;
  const serverForms = `a name from mcp_servers${serverNames.length > 0 ? ` (${serverNames.join(', ')})` : ''}, a Streamable HTTP URL or a command line`;
  const parameters = step.parameters;
  if (!isPlainObject(parameters)) {
    report('MISSING_FIELD', `step ${id}: action 'mcp' needs parameters: { server, tool, arguments }`, [...at, 'parameters'], keyPosition(at, parameters === undefined ? 'action' : 'parameters'));
    return;
  }
  const parametersAt = [...at, 'parameters'];
  const parametersKey = keyPosition(at, 'parameters');
  const { server, tool } = parameters;
  if (server === undefined || server === null) {
    report('MISSING_FIELD', `step ${id}: action 'mcp' needs parameters.server: ${serverForms}`, [...parametersAt, 'server'], parametersKey);
  } else if (isPlainObject(server)) {
    if ((server.command === undefined) === (server.url === undefined)) {
      report('INVALID_VALUE', `step ${id}: parameters.server must have either 'command' or 'url'`, [...parametersAt, 'server']);
    }
  } else if (typeof server !== 'string' || server.trim() === '') {
    report('INVALID_VALUE', `step ${id}: parameters.server must be ${serverForms}`, [...parametersAt, 'server']);
  }
  if (tool === undefined || tool === null) {
    report('MISSING_FIELD', `step ${id}: action 'mcp' needs parameters.tool: the name of the tool to call`, [...parametersAt, 'tool'], parametersKey);
  } else if (typeof tool !== 'string' || tool.trim() === '') {
    report('INVALID_VALUE', `step ${id}: parameters.tool must be the name of the tool to call`, [...parametersAt, 'tool']);
  }
  const args = parameters.arguments;
  if (args !== undefined && args !== null && !isPlainObject(args) && !decidedAtRunTime(args)) {
    report('INVALID_VALUE', `step ${id}: parameters.arguments must be a mapping of the tool's argument names to values`, [...parametersAt, 'arguments']);
  }
  const known = ['server', 'tool', 'arguments'];
  for (const key of Object.keys(parameters).filter((name) => !known.includes(name))) {
    const hint = didYouMean(key, known) || " (the tool's own arguments go under 'arguments')";
    report('UNKNOWN_KEY', `unknown parameter '${key}' in mcp step ${id}: it takes server, tool and arguments${hint}`, [...parametersAt, key], keyPosition(parametersAt, key));
  }
}
