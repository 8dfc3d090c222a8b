// The ApplicationFailure `type`s orc raises: callers branch on these, never on message text.
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
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
