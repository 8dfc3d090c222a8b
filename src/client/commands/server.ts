// `orc server`: an embedded Temporal dev server, its Web UI (with a codec server over the run store) and a worker.
import type { Command } from 'commander';
import { openDefaultRunStore } from '../../store/run-store';
import { startCodecServer } from '../../store/codec-server';
import { defaultDevServerPort, startDevServer } from '../../worker/dev-server';
import { createPipelineWorker } from '../../worker/worker';
import { metricsPortOrExit, uiOrigins, untilSignal } from '../server-address';

async function serve(flags: { metricsPort?: string }): Promise<void> {
  const metricsPort = metricsPortOrExit(flags.metricsPort);
  // The Web UI shows values kept in the run store through a codec server on loopback.
  const port = defaultDevServerPort();
  const store = openDefaultRunStore();
  const codec = await startCodecServer({ store, allowedOrigins: uiOrigins(port + 1000) });
  const server = await startDevServer({ port, ui: true, reuseExisting: false, codecEndpoint: codec.url });
  const worker = await createPipelineWorker({ address: server.address, store, ...(metricsPort !== undefined ? { metricsPort } : {}) });
  process.stderr.write(
    `Temporal server on ${server.address}\nTemporal Web UI: ${server.uiUrl} (values over 256 KiB decoded by ${codec.url})\n` +
      `Worker polling '${worker.worker.options.taskQueue}' (Ctrl-C to stop)\n`,
  );
  const running = worker.run();
  await Promise.race([untilSignal(), running]);
  await worker.shutdown();
  await server.stop();
  await codec.close();
  await store.close();
}

export function register(program: Command): void {
  program
    .command('server')
    .description('embedded Temporal dev server + Web UI + worker, in the foreground')
    .option('--metrics-port <port>', "serve the worker's Prometheus metrics on this port (default: ORC_METRICS_PORT, else none)")
    .action(serve);
}
