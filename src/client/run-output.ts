// What `orc run` and `orc rerun` print while a run goes and when it ends: progress and live answers on stderr
// for a person, only the result object with --json.
import type { WorkflowHandle } from '@temporalio/client';
import { isCompletedRun, type RunResult } from '../base/run-types';
import { EXIT_FAILED, ExitCode } from './exit-code';
import type { Orchestrator } from './orchestrator';
import { ProgressPrinter } from './progress';

function printOutputs(result: RunResult): void {
  const entries = Object.entries(result.outputs);
  if (entries.length === 0) return;
  process.stdout.write('\nOutputs:\n');
  for (const [name, value] of entries) {
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    process.stdout.write(`\n${name}:\n${text.replace(/^/gm, '  ')}\n`);
  }
}

export class RunOutput {
  private readonly printer: ProgressPrinter;

  constructor(private readonly json: boolean) {
    this.printer = new ProgressPrinter(process.stderr, !json);
  }

  /** A line for a person on stderr; nothing with --json. */
  say(text: string): void {
    if (!this.json) process.stderr.write(text);
  }

  /** Waits for the run's result, showing its progress (--json shows none: no status queries, each answer carries every step's result so far). */
  follow(orchestrator: Orchestrator, handle: WorkflowHandle): Promise<RunResult> {
    // Answers as they arrive, for a person at a terminal only: logs and --json stay as they were.
    const live = !this.json && process.stderr.isTTY;
    return orchestrator.follow(
      handle,
      this.json ? undefined : (progress) => this.printer.update(progress),
      live ? (stepId, text, { item }) => this.printer.token(stepId, text, item) : undefined,
    );
  }

  /** Prints a finished run (only the result object with --json) and fails the command unless it completed. */
  report(result: RunResult): void {
    if (this.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      this.printer.finish(result);
      printOutputs(result);
    }
    if (!isCompletedRun(result.status)) throw new ExitCode(EXIT_FAILED);
  }
}
