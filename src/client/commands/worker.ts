// `orc worker`: a worker for the pipeline task queue on TEMPORAL_ADDRESS, in the foreground.
import type { Command } from 'commander';
import { readSettings } from '../../base/settings';
import { DEFAULT_NAMESPACE } from '../../worker/dev-server';
import { createPipelineWorker, type WorkerDeployment } from '../../worker/worker';
import { usageError } from '../exit-code';
import { metricsPortOrExit, temporalAddress, untilSignal } from '../server-address';

interface WorkerFlags {
  metricsPort?: string;
  deployment?: string;
  buildId?: string;
}

/** `--deployment NAME --build-id ID`: both or neither. */
function deploymentOf(flags: WorkerFlags): WorkerDeployment | undefined {
  if (flags.deployment === undefined && flags.buildId === undefined) return undefined;
  if (!flags.deployment || !flags.buildId) throw usageError('--deployment and --build-id go together: a versioned worker is one build of one deployment');
  return { name: flags.deployment, buildId: flags.buildId };
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a worker for the pipeline task queue on TEMPORAL_ADDRESS')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (default: ORC_METRICS_PORT, else none)')
    .option('--deployment <name>', 'Worker Versioning: the Worker Deployment this worker belongs to (with --build-id)')
    .option('--build-id <id>', 'Worker Versioning: this build; runs it starts stay on it (see `orc deploy promote`)')
    .action(async (flags: WorkerFlags) => {
      const address = temporalAddress();
      const metricsPort = metricsPortOrExit(flags.metricsPort);
      const deployment = deploymentOf(flags);
      const worker = await createPipelineWorker({
        address,
        namespace: readSettings().temporalNamespace ?? DEFAULT_NAMESPACE,
        ...(metricsPort !== undefined ? { metricsPort } : {}),
        ...(deployment ? { deployment } : {}),
      });
      process.stderr.write(
        `orc worker polling '${worker.worker.options.taskQueue}' on ${address}` +
          `${deployment ? ` as build ${deployment.buildId} of deployment ${deployment.name}` : ''}${metricsPort !== undefined ? `, metrics on port ${metricsPort}` : ''} (Ctrl-C to stop)\n`,
      );
      const running = worker.run();
      await Promise.race([untilSignal(), running]);
      await worker.shutdown();
    });
}
