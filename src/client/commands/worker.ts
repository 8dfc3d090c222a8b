// `orc worker`: a worker for the pipeline task queue on TEMPORAL_ADDRESS, in the foreground.
import type { Command } from 'commander';
import { readSettings } from '../../base/settings';
import { DEFAULT_NAMESPACE } from '../../worker/dev-server';
import { createPipelineWorker } from '../../worker/worker';
import { metricsPortOrExit, temporalAddress, untilSignal } from '../server-address';

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a worker for the pipeline task queue on TEMPORAL_ADDRESS')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (default: ORC_METRICS_PORT, else none)')
    .action(async (flags: { metricsPort?: string }) => {
      const address = temporalAddress();
      const metricsPort = metricsPortOrExit(flags.metricsPort);
      const worker = await createPipelineWorker({
        address,
        namespace: readSettings().temporalNamespace ?? DEFAULT_NAMESPACE,
        ...(metricsPort !== undefined ? { metricsPort } : {}),
      });
      process.stderr.write(
        `orc worker polling '${worker.worker.options.taskQueue}' on ${address}${metricsPort !== undefined ? `, metrics on port ${metricsPort}` : ''} (Ctrl-C to stop)\n`,
      );
      const running = worker.run();
      await Promise.race([untilSignal(), running]);
      await worker.shutdown();
    });
}
