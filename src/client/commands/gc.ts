// `orc gc --older-than D`: deletes stored values and cache entries unused for a while, keeping what open runs reference.
import type { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { readSettings } from '../../base/settings';
import { parseDuration } from '../../compiler/durations';
import { collectGarbage } from '../../store/garbage-collection';
import { openDefaultRunStore } from '../../store/run-store';
import { describeBytes } from '../../store/value-ceiling';
import { DEFAULT_NAMESPACE } from '../../worker/dev-server';
import { usageError } from '../exit-code';
import { temporalAddress } from '../server-address';

async function collect(flags: { olderThan: string }): Promise<void> {
  const seconds = parseDuration(flags.olderThan);
  if (seconds === undefined) throw usageError(`--older-than expects a duration such as 30d or 12h, got '${flags.olderThan}'`);
  // Open runs' histories can pass gRPC's default 4 MB message: the references are what gc needs from them.
  const connection = await Connection.connect({ address: temporalAddress(), channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
  const store = openDefaultRunStore();
  try {
    const client = new Client({ connection, namespace: readSettings().temporalNamespace ?? DEFAULT_NAMESPACE });
    const report = await collectGarbage(client, store, seconds);
    process.stdout.write(
      `gc (${store.location}): deleted ${report.values} value(s) (${describeBytes(report.bytes)} stored) and ${report.cacheEntries} cache entr${report.cacheEntries === 1 ? 'y' : 'ies'}; ` +
        `kept ${report.keptValues} value(s) referenced by ${report.openRuns} open run(s)\n`,
    );
  } finally {
    await store.close();
    await connection.close();
  }
}

export function register(program: Command): void {
  program
    .command('gc')
    .description('delete stored values and cache entries unused for a while, keeping those open runs reference')
    .requiredOption('--older-than <duration>', 'e.g. 30d, 12h')
    .action(collect);
}
