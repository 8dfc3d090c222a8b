// The contract of a tool (spec section 19): a module with its actions, a zod schema for each action's
// parameters, the shape of its result and what it needs from the worker's environment. A tool step's call is
// one Temporal activity (`runTool`), whose summary names the tool and the action.
import type { z } from 'zod';
import type { ModelResolver } from '../models/registry';

/** Where a run's files live. Every path a tool reads or writes goes through `resolve`. */
export interface Workspace {
  /** The workspace's absolute, real path. */
  readonly root: string;
  /**
   * The absolute path of `relative` inside the workspace. Throws an ApplicationFailure of type
   * PATH_OUTSIDE_WORKSPACE (non-retryable) when it leaves it: `..`, an absolute path elsewhere, or a symlink
   * (of the path or of any parent) that points out. Nothing is touched before the check.
   */
  resolve(relative: string): string;
}

/** What a tool action is given besides its parameters. */
export interface ToolContext {
  readonly workspace: Workspace;
  readonly runId: string;
  readonly stepId: string;
  /** The activity's attempt (1 on the first): writes must be idempotent across attempts. */
  readonly attempt: number;
  /** The worker's environment (secrets come from here, never from the pipeline). */
  readonly env: NodeJS.ProcessEnv;
  /** Keeps a long action alive (activity heartbeat). */
  heartbeat(details?: unknown): void;
  /** Aborted when the activity is cancelled. */
  readonly signal: AbortSignal;
  /** Files this call wrote, relative to the workspace: listed in the step's result and the run's `files`. */
  wrote(relativePath: string): void;
  /** What the worker lends tools that need more than the workspace and the network (absent in unit tests). */
  readonly services?: ToolServices;
  /** The run is a dry run (`orc run --dry-run`): a tool that asks a model asks the echo model. */
  readonly dryRun?: boolean;
}

/** A program for the run_code sandbox (a fresh locked-down container). */
export interface SandboxRequest {
  language: 'python' | 'javascript' | 'bash';
  code: string;
  timeoutSeconds: number;
  memoryMb: number;
  files: Record<string, string>;
  /** The container gets a network (only when the step asks and the worker allows it). */
  network: boolean;
}

export interface SandboxAnswer {
  stdout: string;
  stderr: string;
  exit_code: number | null;
  /** Files the code left in its work directory (text, size-capped), input files excluded unless changed. */
  files: Record<string, string>;
  timed_out: boolean;
  oom_killed: boolean;
  duration_ms: number;
}

/** A small durable key-value store (the run store's), shared by every run of the same store. */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  /** `expiresAt` null: kept until deleted. */
  put(key: string, value: unknown, expiresAt: Date | null): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface McpServerRequest {
  serverName: string;
  server: Record<string, unknown>;
}

/** Services built by the worker (activities layer) and lent to tools, so that tools import no activity. */
export interface ToolServices {
  runCode?(request: SandboxRequest): Promise<SandboxAnswer>;
  /** The worker's models (the same resolver its model steps use), for tools that ask a model (fact-checker). */
  models?: ModelResolver;
  keyValue?: KeyValueStore;
  listMcpTools?(request: McpServerRequest): Promise<Array<{ name: string; description: string; inputSchema: Record<string, unknown> }>>;
  callMcpTool?(request: McpServerRequest & { tool: string; arguments: Record<string, unknown> }): Promise<Record<string, unknown>>;
}

/** Whether a tool can run on this worker; when not, what would make it available. */
export type Availability = { available: true } | { available: false; reason: string };

export interface ToolAction<P = Record<string, unknown>> {
  description: string;
  /** Parameters as the pipeline writes them (after rendering). Unknown keys are allowed unless the action says otherwise. */
  parameters: z.ZodType<P>;
  /** The result: the fields a pipeline reads (`{{ step.content }}`, `{{ step.result.content }}`). */
  run(parameters: P, context: ToolContext): Promise<Record<string, unknown>>;
}

export interface ToolModule {
  /** The name a step writes in `tool:`. */
  name: string;
  /** Other names for the same tool (e.g. `data-processor` for `data-processing`). */
  aliases?: string[];
  description: string;
  actions: Record<string, ToolAction<any>>;
  /** The action used when the step's `action` is not one of `actions` (the dialect's tools read `parameters.action` too). */
  defaultAction?: string;
  /** Maps a step's action name (and parameters) to one of `actions`, for tools whose dialect spells actions freely. */
  actionFor?(action: string, parameters: Record<string, unknown>): string | undefined;
  /** Environment the tool needs; checked by `orc tools` and before each call. */
  availability(env: NodeJS.ProcessEnv): Availability | Promise<Availability>;
}

/** The input of the `runTool` activity. Small and free of secrets: it is in the run's history. */
export interface ToolCallInput {
  tool: string;
  action: string;
  /** Rendered parameters. */
  parameters: Record<string, unknown>;
  runId: string;
  stepId: string;
  /** The run's workspace, an absolute path (orc run --workspace, default the current directory). */
  workspace: string;
  /** Present (true) in a dry run: tools that ask a model ask the echo model. */
  dryRun?: boolean;
}

/**
 * The output of `runTool`, in the dialect's shape (pyorc-dialect.md section 5): `result` holds the action's
 * fields; the workflow also makes them readable flat (`s.content` as well as `s.result.content`).
 */
export interface ToolCallOutput {
  result: Record<string, unknown>;
  success: boolean;
  error?: string;
  /** Workspace-relative paths this call wrote. */
  files?: string[];
  /** The activity attempt that answered (1 for the first). */
  attempt?: number;
}
