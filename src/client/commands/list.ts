// `orc list`: runs, newest first, as a table or JSON.
import type { Command } from 'commander';
import { usageError } from '../exit-code';
import type { RunListing } from '../orchestrator';
import { controlClient } from '../server-address';

function formatRunTable(runs: RunListing[]): string {
  if (runs.length === 0) return 'no runs\n';
  const rows = [
    ['RUN ID', 'PIPELINE', 'STATUS', 'STARTED', 'TOKENS', 'COST USD'],
    ...runs.map((run) => [
      run.run_id,
      run.pipeline ?? '?',
      run.status,
      run.started_at.replace('T', ' ').slice(0, 19),
      run.tokens === null ? '' : String(run.tokens),
      run.cost_usd === null ? '' : run.cost_usd.toFixed(4),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`).join('');
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list runs, newest first')
    .option('--pipeline <name>', "only this pipeline's runs")
    .option('--status <status>', 'only runs in this status (running, completed, failed, cancelled, ...)')
    .option('--limit <n>', 'at most this many runs', (value: string) => Number(value), 50)
    .option('--json', 'print as JSON')
    .action(async (flags: { pipeline?: string; status?: string; limit: number; json?: boolean }) => {
      if (!Number.isInteger(flags.limit) || flags.limit <= 0) throw usageError('--limit expects a positive whole number');
      const orchestrator = controlClient();
      try {
        const runs = await orchestrator.list({
          ...(flags.pipeline !== undefined ? { pipeline: flags.pipeline } : {}),
          ...(flags.status !== undefined ? { status: flags.status } : {}),
          limit: flags.limit,
        });
        if (flags.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        else process.stdout.write(formatRunTable(runs));
      } finally {
        await orchestrator.close();
      }
    });
}
