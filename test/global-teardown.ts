// Stops what test/global-setup.ts started.
import * as fs from 'node:fs';
import type { LocalModelServer } from '../src/models/local/local-server-process';
import type { DevServer } from '../src/worker/dev-server';

export default async function globalTeardown(): Promise<void> {
  const shared = (globalThis as { __orcShared?: { temporal: DevServer; localModel: LocalModelServer; dataDirectory: string } }).__orcShared;
  if (!shared) return;
  await shared.localModel.stop();
  await shared.temporal.stop();
  fs.rmSync(shared.dataDirectory, { recursive: true, force: true });
}
