// Starts what the integration tests share: one Temporal dev server (in memory, headless) and one local
// model server (two model servers on a 2-core machine slow each other down ~25x).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalModelServer } from '../src/models/local/local-server-process';
import { startDevServer, type DevServer } from '../src/worker/dev-server';
import { freePort } from './helpers/ports';

interface SharedServers {
  temporal: DevServer;
  localModel: LocalModelServer;
  dataDirectory: string;
}

export default async function globalSetup(): Promise<void> {
  const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-test-'));
  process.env.ORC_DATA_DIR = dataDirectory;
  const temporal = await startDevServer({ port: await freePort(), ui: false, databaseFile: null, reuseExisting: false });
  process.env.ORC_TEST_TEMPORAL_ADDRESS = temporal.address;
  const localModel = new LocalModelServer({ idleTimeoutMs: 24 * 60 * 60 * 1000 });
  process.env.ORC_LOCAL_MODEL_URL = await localModel.baseUrl();
  (globalThis as { __orcShared?: SharedServers }).__orcShared = { temporal, localModel, dataDirectory };
}
