// `orc cache clear`: deletes every cached step result in the run store.
import type { Command } from 'commander';
import { Orchestrator } from '../orchestrator';

export function register(program: Command): void {
  program
    .command('cache')
    .description('the step result cache (cache_results) in the run store')
    .command('clear')
    .description('delete every cached step result; the next runs call their models and tools again')
    .action(async () => {
      const { entries, location } = await new Orchestrator({ worker: false }).clearCache();
      process.stdout.write(`Cleared ${entries} cache ${entries === 1 ? 'entry' : 'entries'} from ${location}\n`);
    });
}
