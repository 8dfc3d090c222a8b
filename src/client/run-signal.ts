// `orc pause|resume|cancel RUN_ID`: one signal sent to a run, the same way for each.
import type { Command } from 'commander';
import { controlClient } from './server-address';

export function registerRunSignal(program: Command, name: 'pause' | 'resume' | 'cancel', description: string): void {
  program
    .command(name)
    .description(description)
    .argument('<runId>')
    .action(async (runId: string) => {
      const orchestrator = controlClient();
      try {
        await orchestrator[name](runId);
        process.stdout.write(`${name}: sent to ${runId}\n`);
      } finally {
        await orchestrator.close();
      }
    });
}
