// `orc codec-server`: Temporal's codec-server protocol over the run store, so the Web UI shows stored values in full.
import type { Command } from 'commander';
import { readSettings } from '../../base/settings';
import { startCodecServer } from '../../store/codec-server';
import { openDefaultRunStore } from '../../store/run-store';
import { defaultDevServerPort } from '../../worker/dev-server';
import { collectValues } from '../pipeline-file';
import { uiOrigins, untilSignal } from '../server-address';

async function serveCodec(flags: { port: string; host: string; uiOrigin: string[] }): Promise<void> {
  // Bound beyond loopback, startCodecServer refuses to start without a token.
  const token = readSettings().codecToken;
  const store = openDefaultRunStore();
  const origins = flags.uiOrigin.length > 0 ? flags.uiOrigin : uiOrigins(defaultDevServerPort() + 1000);
  const codec = await startCodecServer({ store, host: flags.host, port: Number(flags.port), allowedOrigins: origins, ...(token ? { token } : {}) });
  process.stderr.write(
    `orc codec-server on ${codec.url} (store ${store.location}; CORS for ${origins.join(', ')}${token ? '; token required' : ''})\n` +
      `Point the Web UI at it: temporal server start-dev --ui-codec-endpoint ${codec.url} (orc server does this itself). Ctrl-C to stop.\n`,
  );
  await untilSignal();
  await codec.close();
  await store.close();
}

export function register(program: Command): void {
  program
    .command('codec-server')
    .description("serve Temporal's codec-server protocol over the run store, so the Web UI shows stored values in full")
    .option('--port <port>', 'port to listen on', '8234')
    .option('--host <host>', 'address to listen on; not loopback requires ORC_CODEC_TOKEN', '127.0.0.1')
    .option('--ui-origin <url>', 'an origin of the Web UI allowed by CORS (repeatable)', collectValues, [] as string[])
    .action(serveCodec);
}
