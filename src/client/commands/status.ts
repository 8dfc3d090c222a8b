// `orc status RUN_ID`: a run's state and each step's.
import type { Command } from 'commander';
import type { RunProgress } from '../../base/run-types';
import { controlClient } from '../server-address';

function printStatus(progress: RunProgress): void {
  process.stdout.write(`${progress.run_id}: ${progress.status}${progress.paused && progress.status !== 'paused' ? ' (paused)' : ''}\n`);
  for (const waiting of progress.waiting) process.stdout.write(`  waiting for approval: ${waiting.step} - ${waiting.prompt}\n`);
  for (const [id, step] of Object.entries(progress.steps)) {
    process.stdout.write(`  ${id}: ${step.status}${step.attempts ? `, ${step.attempts} attempt(s)` : ''}${step.model ? `, ${step.model}` : ''}${step.error ? ` - ${step.error}` : ''}\n`);
  }
}

export function register(program: Command): void {
  program
    .command('status')
    .description("show a run's state")
    .argument('<runId>')
    .option('--json', 'print as JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const orchestrator = controlClient();
      try {
        const progress = await orchestrator.status(runId);
        if (flags.json) process.stdout.write(`${JSON.stringify(progress, null, 2)}\n`);
        else printStatus(progress);
      } finally {
        await orchestrator.close();
      }
    });
}
