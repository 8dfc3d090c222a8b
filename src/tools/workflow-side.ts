// Tools that run in the workflow itself, not in the runTool activity: a child run and questions to a person.
// No Node built-ins here: the workflow bundle imports this file.

/** A child run (`action: pipeline`): a Temporal child workflow. */
export const PIPELINE_EXECUTOR = 'pipeline-executor';

/** Questions answered by `orc answer RUN STEP VALUE` (a Temporal Update), or by their default after a timeout. */
export const HUMAN_TOOLS = ['user-prompt', 'approval-gate', 'feedback-collection'] as const;
export type HumanTool = (typeof HUMAN_TOOLS)[number];

export function isHumanTool(name: string): name is HumanTool {
  return (HUMAN_TOOLS as readonly string[]).includes(name);
}

/** A question waits this long by default (seconds) before its default answers it, or it fails with NO_ANSWER. */
export const DEFAULT_QUESTION_TIMEOUT_SECONDS = 24 * 3600;

/** The words an approval-gate answer may be: yes/no and their kin. */
export function approvalOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['y', 'yes', 'true', 'approve', 'approved', 'ok', '1'].includes(text)) return true;
  if (['n', 'no', 'false', 'reject', 'rejected', 'deny', '0'].includes(text)) return false;
  return undefined;
}
