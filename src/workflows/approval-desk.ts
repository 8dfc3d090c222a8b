// Approval decisions: which steps wait for a person, and the decisions the `approve` update brings.
import { condition } from '@temporalio/workflow';
import type { ApprovalDecision } from '../base/run-types';

export class ApprovalDesk {
  /** Approval steps waiting for a decision -> the prompt they show. */
  readonly waiting = new Map<string, string>();
  /** Questions (user-prompt tool steps) that take only one of these answers. */
  readonly choices = new Map<string, string[]>();
  readonly decisions: Map<string, ApprovalDecision>;

  constructor(carried: Record<string, ApprovalDecision> = {}) {
    this.decisions = new Map(Object.entries(carried));
  }

  /** Waits for the step's decision (a timer of `timeoutSeconds`); undefined when none came in time. */
  async wait(stepId: string, prompt: string, timeoutSeconds: number): Promise<ApprovalDecision | undefined> {
    this.waiting.set(stepId, prompt);
    const decided = await condition(() => this.decisions.has(stepId), timeoutSeconds * 1000).finally(() => this.waiting.delete(stepId));
    return decided ? this.decisions.get(stepId) : undefined;
  }
}
