// Prints each step's progress once per change: a line when it starts, a line when it ends; on a terminal, the
// answers of running LLM steps as they arrive.
import { totalTokens, type RunProgress, type RunResult, type StepRecord } from '../base/run-types';

const MARKS: Record<string, string> = { completed: '✓', failed: '✗', skipped: '-', cancelled: '⊘', running: '…', waiting: '⏸' };

function seconds(step: StepRecord): string {
  if (!step.started_at || !step.completed_at) return '';
  return ` ${((Date.parse(step.completed_at) - Date.parse(step.started_at)) / 1000).toFixed(1)}s`;
}

export class ProgressPrinter {
  private readonly seen = new Map<string, string>();
  private lastRunStatus = '';
  /** The step whose answer is being written on the current line, if any. */
  private streaming: string | null = null;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly enabled: boolean,
  ) {}

  /** A new piece of a running step's answer: written under a header naming the step, indented. */
  token(stepId: string, text: string, item: number | null): void {
    if (!this.enabled) return;
    const label = item === null ? stepId : `${stepId}[${item}]`;
    if (this.streaming !== label) {
      this.endStream();
      this.stream.write(`  ▸ ${label}: `);
      this.streaming = label;
    }
    this.stream.write(text.replace(/\n/g, '\n    '));
  }

  private endStream(): void {
    if (this.streaming === null) return;
    this.stream.write('\n');
    this.streaming = null;
  }

  update(progress: RunProgress): void {
    if (!this.enabled) return;
    if (progress.paused && this.lastRunStatus !== 'paused') {
      this.endStream();
      this.stream.write('  (paused: no new step starts until resumed)\n');
    }
    this.lastRunStatus = progress.paused ? 'paused' : progress.status;
    for (const [id, step] of Object.entries(progress.steps)) {
      if (this.seen.get(id) === step.status || step.status === 'pending') continue;
      this.seen.set(id, step.status);
      this.endStream();
      const mark = MARKS[step.status] ?? ' ';
      const detail = step.status === 'running' ? 'running' : `${step.status}${seconds(step)}${step.model ? ` ${step.model}` : ''}${step.cache?.hit ? ' (cached)' : ''}`;
      const error = step.error && step.status !== 'completed' ? `: ${step.error}` : '';
      this.stream.write(`  ${mark} ${id} ${detail}${error}\n`);
    }
  }

  finish(result: RunResult): void {
    if (!this.enabled) return;
    this.update({ ...result, paused: false, running: [], waiting: [] });
    const usage = result.usage;
    this.stream.write(
      `Run ${result.run_id} ${result.status}` +
        `${totalTokens(usage) > 0 ? ` (${usage.input_tokens} input + ${usage.output_tokens} output tokens)` : ''}` +
        `${result.error ? `: ${result.error}` : ''}\n`,
    );
  }
}
