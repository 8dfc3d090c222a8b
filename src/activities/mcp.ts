// The `mcp` step activity: start or reach an MCP server, call one tool, return its answer; the server never outlives the call.
import { FailureType } from '../base/failure-types';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { didYouMean } from '../compiler/diagnostics';
import { mcpServerSpecSchema } from '../base/compiled-pipeline';
import type { FailureDetails } from './errors';
import { keepHeartbeating } from './generate';
import { noStepCache, type StepCache } from './step-cache';
import type { CallMcpToolInput, CallRecord, McpServerSpec, McpToolResult } from './types';

const CLIENT_INFO = { name: 'orc', version: '0.1.0' };
/** A server that has not answered `initialize` by then is not going to (the call itself may take the step's whole timeout). */
const CONNECT_TIMEOUT_MS = 30_000;
/** Closing must not hold a cancelled activity up: a stdio server gets SIGTERM, then SIGKILL, from the SDK within 4 s. */
const TERMINATE_SESSION_TIMEOUT_MS = 2_000;
/** The end of a stdio server's stderr, for messages about why it did not start. */
const STDERR_TAIL_CHARACTERS = 2_000;
const MAX_TOOL_LIST_PAGES = 20;

interface Where {
  step: string;
  server: string;
  tool: string;
  attempt: number;
}

function failure(where: Where, type: FailureType, message: string, nonRetryable: boolean): ApplicationFailure {
  const details: FailureDetails[] = [{ attempt: where.attempt }];
  return ApplicationFailure.create({ type, message: `step '${where.step}': ${message}`, nonRetryable, details });
}

const SECRET_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `${env:NAME}` in a server's `env` or `headers` is read here, from the worker's environment, so a token reaches
 * the server without ever being in the pipeline, the run's input or its history.
 */
export function withWorkerSecrets(server: McpServerSpec, missing: (name: string) => Error): McpServerSpec {
  const fill = (values: Record<string, string> | undefined): Record<string, string> | undefined =>
    values &&
    Object.fromEntries(
      Object.entries(values).map(([key, value]) => [
        key,
        value.replace(SECRET_REFERENCE, (_, name: string) => {
          const found = process.env[name];
          if (found === undefined) throw missing(name);
          return found;
        }),
      ]),
    );
  if ('url' in server) return server.headers ? { ...server, headers: fill(server.headers)! } : server;
  return server.env ? { ...server, env: fill(server.env)! } : server;
}

/** How the server is reached, for messages: the command line or the URL. */
function describeServer(serverName: string, server: McpServerSpec): string {
  const reach = 'url' in server ? server.url : [server.command, ...(server.args ?? [])].join(' ');
  return reach === serverName ? `MCP server '${serverName}'` : `MCP server '${serverName}' (${reach})`;
}

interface Connection {
  transport: Transport;
  /** What the server wrote to stderr so far (stdio only). */
  stderrTail: () => string;
}

function openTransport(server: McpServerSpec): Connection {
  if ('url' in server) {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), server.headers ? { requestInit: { headers: server.headers } } : undefined);
    return { transport, stderrTail: () => '' };
  }
  // The SDK starts the server with only HOME, LOGNAME, PATH, SHELL, TERM and USER from the worker's environment,
  // plus the spec's own `env`: the worker's API keys never reach it.
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args ?? [],
    ...(server.env ? { env: server.env } : {}),
    ...(server.cwd ? { cwd: server.cwd } : {}),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARACTERS);
  });
  return { transport, stderrTail: () => stderr.trim() };
}

function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

/** Duck-typed: errors from Node's own modules may come from another realm (a test's VM context), failing `instanceof Error`. */
function messageOf(value: unknown): string | undefined {
  const message = (value as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

function causeMessage(error: unknown): string {
  const message = messageOf(error) ?? String(error);
  const cause = messageOf((error as { cause?: unknown } | null | undefined)?.cause);
  return cause !== undefined && cause !== message ? `${message} (${cause})` : message;
}

/** The last lines a stdio server wrote to stderr, which usually say why it stopped. */
function stderrNote(stderr: string): string {
  return stderr ? `; it wrote: ${stderr.split('\n').slice(-5).join(' | ')}` : '';
}

/** A server that could not be started or reached: retried, since it may be up (or installed) on the next attempt or worker. */
function unreachable(error: unknown, where: Where, server: McpServerSpec, stderr: string): ApplicationFailure {
  const name = describeServer(where.server, server);
  const reason = causeMessage(error);
  if (error instanceof StreamableHTTPError && error.code !== undefined) {
    const status = error.code;
    const hint =
      status === 401 || status === 403
        ? 'check the `headers` it needs (an Authorization header, for example)'
        : status === 404 || status === 405
          ? 'check the URL: it must be the Streamable HTTP endpoint itself, often ending in /mcp'
          : 'check that the server is healthy';
    // A wrong address or missing credentials do not fix themselves; a 5xx or 429 may.
    const retryable = status >= 500 || status === 429 || status === 408;
    return failure(where, FailureType.McpServerUnavailable, `${name} answered HTTP ${status}: ${reason}; ${hint}`, !retryable);
  }
  if ('url' in server) {
    const code = errorCode(error);
    const hint = code === 'ECONNREFUSED' ? 'nothing listens there: check that the server is running and the host and port are right' : 'check that the server runs and the URL is right';
    return failure(where, FailureType.McpServerUnavailable, `cannot reach ${name}: ${reason}; ${hint}`, false);
  }
  const code = errorCode(error);
  const hint =
    code === 'ENOENT'
      ? `check that '${server.command}' is installed on the worker and on its PATH${server.cwd ? `, and that the folder ${server.cwd} exists` : ''}`
      : code === 'EACCES'
        ? `check that '${server.command}' is executable`
        : 'check the command and its arguments; run it by hand to see it start';
  return failure(where, FailureType.McpServerUnavailable, `cannot start ${name}: ${reason}${stderrNote(stderr)}; ${hint}`, false);
}

/** Errors the server answered a request with: wrong arguments or method are the pipeline's to fix, the rest may pass. */
function protocolFailure(error: McpError, where: Where, server: McpServerSpec): ApplicationFailure {
  const name = describeServer(where.server, server);
  const ours = error.code === ErrorCode.InvalidParams || error.code === ErrorCode.MethodNotFound || error.code === ErrorCode.InvalidRequest;
  return failure(where, ours ? FailureType.McpToolError : FailureType.McpServerError, `tool '${where.tool}' on ${name} failed: ${error.message}`, ours);
}

async function toolNames(client: Client, signal: AbortSignal, timeout: number): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_LIST_PAGES; page++) {
    const listed = await client.listTools(cursor ? { cursor } : undefined, { signal, timeout });
    names.push(...listed.tools.map((tool) => tool.name));
    cursor = listed.nextCursor;
    if (!cursor) break;
  }
  return names;
}

function toolResult(answer: Awaited<ReturnType<Client['callTool']>>): McpToolResult {
  const content = Array.isArray(answer.content) ? (answer.content as unknown[]) : [];
  const text = content
    .filter((part): part is { type: 'text'; text: string } => (part as { type?: unknown }).type === 'text' && typeof (part as { text?: unknown }).text === 'string')
    .map((part) => part.text)
    .join('\n');
  return { text, structured: answer.structuredContent ?? null, content };
}

async function closeQuietly(client: Client, transport: Transport): Promise<void> {
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
    // Ends the session on the server; a server that is gone or does not allow DELETE is no reason to wait.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      transport.terminateSession().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, TERMINATE_SESSION_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }
  await client.close().catch(() => undefined);
}

export function createMcpActivities(stepCache: StepCache = noStepCache) {
  const uncached = {
    /** Connects to the step's server, calls its tool once and closes the connection (and a stdio server) on every path. */
    async callMcpTool(input: CallMcpToolInput): Promise<McpToolResult & CallRecord> {
      const context = Context.current();
      const where: Where = { step: input.stepId, server: input.serverName, tool: input.tool, attempt: context.info.attempt };
      const parsed = mcpServerSpecSchema.safeParse(input.server);
      if (!parsed.success) {
        throw failure(where, FailureType.McpServerSpec, `MCP server '${input.serverName}' must be { command, args, env, cwd } or { url, headers }: ${parsed.error.issues[0]?.message ?? 'invalid'}`, true);
      }
      const server = withWorkerSecrets(parsed.data as McpServerSpec, (name) =>
        failure(where, FailureType.McpSecretMissing, `MCP server '${input.serverName}' asks for \${env:${name}}, and the worker has no ${name} in its environment: set it where the worker runs`, true),
      );
      if ('url' in server && !URL.canParse(server.url)) throw failure(where, FailureType.McpServerSpec, `MCP server '${input.serverName}' has a URL that is not valid: ${server.url}`, true);
      const signal = context.cancellationSignal;
      const callTimeout = Math.max(1000, context.info.startToCloseTimeoutMs);
      const client = new Client(CLIENT_INFO);
      const { transport, stderrTail } = openTransport(server);
      const heartbeat = keepHeartbeating(context);
      let connected = false;
      try {
        await client.connect(transport, { signal, timeout: Math.min(CONNECT_TIMEOUT_MS, callTimeout) });
        connected = true;
        if (!client.getServerCapabilities()?.tools) {
          throw failure(where, FailureType.McpUnknownTool, `${describeServer(input.serverName, server)} offers no tools`, true);
        }
        const names = await toolNames(client, signal, callTimeout);
        if (!names.includes(input.tool)) {
          const listed = names.length > 20 ? `${names.slice(0, 20).join(', ')}, …` : names.join(', ');
          throw failure(
            where,
            FailureType.McpUnknownTool,
            `${describeServer(input.serverName, server)} has no tool '${input.tool}'${didYouMean(input.tool, names)}; its tools: ${listed || 'none'}`,
            true,
          );
        }
        const answer = await client.callTool({ name: input.tool, arguments: input.arguments }, undefined, { signal, timeout: callTimeout });
        const result = toolResult(answer);
        if (answer.isError === true) {
          const message = result.text.trim() || JSON.stringify(result.content);
          throw failure(where, FailureType.McpToolError, `tool '${input.tool}' on ${describeServer(input.serverName, server)} returned an error: ${message}`, true);
        }
        // A large answer is kept in the run store; one over ORC_MAX_VALUE_BYTES fails the step (src/store/value-ceiling.ts).
        return { ...result, attempt: where.attempt };
      } catch (error) {
        // A cancel aborts the signal: report the cancellation itself, not the aborted request it caused.
        if (signal.aborted) throw signal.reason;
        if (error instanceof ApplicationFailure) throw error;
        if (!connected) throw unreachable(error, where, server, stderrTail());
        if (error instanceof McpError) {
          if (error.code === ErrorCode.ConnectionClosed) {
            const name = describeServer(input.serverName, server);
            throw failure(where, FailureType.McpServerError, `${name} closed the connection while tool '${input.tool}' ran${stderrNote(stderrTail())}`, false);
          }
          if (error.code === ErrorCode.RequestTimeout) {
            throw failure(where, FailureType.McpTimeout, `tool '${input.tool}' on ${describeServer(input.serverName, server)} did not answer in time: ${error.message}`, false);
          }
          throw protocolFailure(error, where, server);
        }
        throw failure(where, FailureType.McpServerError, `tool '${input.tool}' on ${describeServer(input.serverName, server)} failed: ${causeMessage(error)}`, false);
      } finally {
        clearInterval(heartbeat);
        await closeQuietly(client, transport);
      }
    },
  };

  return {
    /**
     * Cached (spec section 9) by the server as the pipeline gives it (`${env:NAME}` references, never their values),
     * the tool and its arguments; a tool that answered with an error fails the step and is not cached.
     */
    async callMcpTool(input: CallMcpToolInput): Promise<McpToolResult & CallRecord> {
      const request = () => ({ action: 'mcp', server: input.server, tool: input.tool, arguments: input.arguments });
      // The stored answer is the result alone: the attempt that answers is always this one.
      const call = async (): Promise<McpToolResult> => {
        const { attempt: _attempt, ...result } = await uncached.callMcpTool(input);
        return result;
      };
      const { value, record } = await stepCache.answer(input.cache, request, call);
      return { ...value, attempt: Context.current().info.attempt, ...(record ? { cache: record } : {}) };
    },
  };
}

/** A tool as an MCP server describes it: what an agent's model is told about it. */
export interface McpToolDescription {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Connects to a server, lists its tools with their argument schemas and closes the connection (agents offer them to models). */
export async function listServerTools(serverName: string, spec: McpServerSpec, where: { step: string; attempt: number }, signal: AbortSignal): Promise<McpToolDescription[]> {
  const at: Where = { step: where.step, server: serverName, tool: '(list)', attempt: where.attempt };
  const server = withWorkerSecrets(spec, (name) =>
    failure(at, 'McpSecretMissing', `MCP server '${serverName}' asks for \${env:${name}}, and the worker has no ${name} in its environment: set it where the worker runs`, true),
  );
  const client = new Client(CLIENT_INFO);
  const { transport, stderrTail } = openTransport(server);
  let connected = false;
  try {
    await client.connect(transport, { signal, timeout: CONNECT_TIMEOUT_MS });
    connected = true;
    const tools: McpToolDescription[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_LIST_PAGES; page++) {
      const listed = await client.listTools(cursor ? { cursor } : undefined, { signal, timeout: CONNECT_TIMEOUT_MS });
      tools.push(...listed.tools.map((tool) => ({ name: tool.name, description: tool.description ?? '', inputSchema: tool.inputSchema as Record<string, unknown> })));
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    return tools;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof ApplicationFailure) throw error;
    if (!connected) throw unreachable(error, at, server, stderrTail());
    throw failure(at, 'McpServerError', `listing the tools of ${describeServer(serverName, server)} failed: ${causeMessage(error)}`, false);
  } finally {
    await closeQuietly(client, transport);
  }
}
