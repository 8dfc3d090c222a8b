// The ApplicationFailure `type`s orc raises: callers branch on these, never on message text.
import { ApplicationFailure } from '@temporalio/common';

export const FailureType = {
  /** A value over ORC_MAX_VALUE_BYTES (spec section 12). */
  ValueTooLarge: 'VALUE_TOO_LARGE',
  /** Replicates agree less than `min_agreement` (spec section 10). */
  Conflict: 'CONFLICT',
  /** An agent reached `max_turns` (spec section 11). */
  MaxTurns: 'MAX_TURNS',
  /** A step or the run would go over its budget. */
  BudgetExceeded: 'BUDGET_EXCEEDED',
  /** A step's own parameters are wrong at run time (bad rendered value, unknown server, ...). */
  InvalidStep: 'INVALID_STEP',
  /** Code in the sandbox exited non-zero, timed out or ran out of memory. */
  CodeFailed: 'CODE_FAILED',
  /** An approval was rejected or timed out. */
  ApprovalRejected: 'APPROVAL_REJECTED',
  /** A model provider refused or failed the call (retryable or not, as the provider's answer says). */
  ModelError: 'ModelError',
  /** No model in the catalog meets a step's requirement (or models.yaml cannot be read). */
  ModelSelectionError: 'ModelSelectionError',
  /** A template read a value the run does not have. */
  TemplateError: 'TemplateError',
  /** Anything else that went wrong in a step's activity (retried). */
  StepError: 'StepError',
  /** No Docker engine answers the sandbox. */
  SandboxEngineUnavailable: 'SandboxEngineUnavailable',
  /** The sandbox image is not on the Docker engine. */
  SandboxImageMissing: 'SandboxImageMissing',
  /** The Docker engine failed a request. */
  SandboxEngineError: 'SandboxEngineError',
  /** An MCP server cannot be started or reached. */
  McpServerUnavailable: 'McpServerUnavailable',
  /** An MCP server failed while answering. */
  McpServerError: 'McpServerError',
  /** An MCP server's spec in the pipeline is malformed. */
  McpServerSpec: 'McpServerSpec',
  /** An MCP server asks for `${env:NAME}` and the worker has no NAME. */
  McpSecretMissing: 'McpSecretMissing',
  /** The step names a tool the MCP server does not offer. */
  McpUnknownTool: 'McpUnknownTool',
  /** The MCP tool answered with an error. */
  McpToolError: 'McpToolError',
  /** The MCP tool did not answer in time. */
  McpTimeout: 'McpTimeout',
  /** A `tool:` step names a tool (or action) with no backend on this worker; the message says what would make it available. */
  ToolUnavailable: 'TOOL_UNAVAILABLE',
  /** A tool failed while running (its backend answered with an error). */
  ToolFailed: 'TOOL_FAILED',
  /** A path leaves the run's workspace (`..`, an absolute path, a symlink); nothing was touched. */
  PathOutsideWorkspace: 'PATH_OUTSIDE_WORKSPACE',
  /** A network tool was asked for a loopback, private or link-local address (after redirects too) not in ORC_NET_ALLOW. */
  NetworkRefused: 'NETWORK_REFUSED',
  /** A step's `expect:` check failed with `on_expect_fail: fail` (spec section 14). */
  ExpectationFailed: 'EXPECTATION_FAILED',
  /** A step's activity ran past its `timeout` on every attempt (Temporal's start-to-close or heartbeat timeout). */
  Timeout: 'TIMEOUT',
  /** A `user-prompt` / approval-gate question got no answer in time and had no default. */
  NoAnswer: 'NO_ANSWER',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** A step whose own parameters are wrong at run time (a rendered value, a child pipeline that does not compile): no retry fixes it. */
export function invalidStep(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidStep, message, nonRetryable: true });
}
