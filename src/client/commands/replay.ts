// `orc replay`: before deploying a build, replays runs of the cluster (or history files) against its workflow code.
import type { Command } from 'commander';
import { openDefaultRunStore } from '../../store/run-store';
import { storedPayloadsDataConverter } from '../../store/stored-payloads';
import { ExitCode, EXIT_FAILED, usageError } from '../exit-code';
import { fetchHistories, historiesFromFiles, outcomeLine, replayConcurrency, replayRuns, runsToReplay, thisBuildsWorkflow, type RecordedRun } from '../replay';
import { controlClient } from '../server-address';

interface ReplayFlags {
  query?: string;
  limit: string;
  history?: string[];
  workflowBundle?: string;
  parallel?: string;
}

export function register(program: Command): void {
  program
    .command('replay')
    .description("replay runs (open ones, then the latest closed) against this build's workflow code; exit 1 on any non-determinism")
    .option('--query <query>', 'replay the runs this visibility query finds instead')
    .option('--limit <n>', 'at most this many runs besides the open ones (with --query: at most this many)', '100')
    .option('--history <file...>', 'replay these history files (JSON, as `temporal workflow show --output json` writes) instead')
    .option('--parallel <n>', 'replayers side by side (default: the cores, at most 4)')
    .option('--workflow-bundle <file>', 'the workflow bundle to check (default: this build, dist/workflow-bundle.js)')
    .action(async (flags: ReplayFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit takes a whole number of runs, not '${flags.limit}'`);
      const parallel = flags.parallel === undefined ? undefined : Number(flags.parallel);
      if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) throw usageError(`--parallel takes a whole number of replayers, not '${flags.parallel}'`);
      const workflow = thisBuildsWorkflow(flags.workflowBundle);
      const store = openDefaultRunStore();
      const orchestrator = controlClient();
      const started = Date.now();
      try {
        let runs: RecordedRun[] | AsyncIterable<RecordedRun>;
        let count: number;
        if (flags.history) {
          runs = historiesFromFiles(flags.history);
          count = runs.length;
        } else {
          const client = await orchestrator.connect();
          const found = await runsToReplay(client, { limit, ...(flags.query !== undefined ? { query: flags.query } : {}) });
          runs = fetchHistories(client, found);
          count = found.length;
        }
        // Values over 256 KiB are references in history: the replayer reads them from the run store.
        const outcomes = await replayRuns(runs, workflow, storedPayloadsDataConverter(store), (outcome) => process.stdout.write(`${outcomeLine(outcome)}\n`), parallel ?? replayConcurrency(count));
        const failed = outcomes.filter((outcome) => !outcome.ok).length;
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(
          `replayed ${outcomes.length} run(s) in ${seconds.toFixed(1)} s (${(outcomes.length / Math.max(seconds, 0.001)).toFixed(1)} runs/s): ` +
            `${outcomes.length - failed} ok, ${failed} failed\n`,
        );
        if (failed > 0) throw new ExitCode(EXIT_FAILED);
      } finally {
        await orchestrator.close();
        await store.close();
      }
    });
}
