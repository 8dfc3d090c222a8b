// The codec server: stored values are not served beyond loopback without a token, and the embedded Web UI uses it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCodecServer } from '../../src/store/codec-server';
import { openRunStore } from '../../src/store/run-store';
import { startDevServer } from '../../src/worker/dev-server';
import { freePort } from '../helpers/ports';

test('the codec server refuses a non-loopback address without a token, and answers only the token with one', async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-codec-'));
  const store = openRunStore(directory, directory);
  try {
    await expect(startCodecServer({ store, host: '0.0.0.0', allowedOrigins: [] })).rejects.toThrow(/set ORC_CODEC_TOKEN/);
    const codec = await startCodecServer({ store, host: '0.0.0.0', token: 't0ken', allowedOrigins: [] });
    try {
      const port = new URL(codec.url).port;
      const body = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hi"').toString('base64') }] });
      const wrong = await fetch(`http://127.0.0.1:${port}/decode`, { method: 'POST', body, headers: { Authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`http://127.0.0.1:${port}/some/prefix/decode`, { method: 'POST', body, headers: { Authorization: 'Bearer t0ken' } });
      expect(right.status).toBe(200);
      // A payload that is not a reference comes back as it was.
      expect(await right.json()).toEqual(JSON.parse(body));
    } finally {
      await codec.close();
    }
  } finally {
    await store.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test("the embedded dev server's Web UI is pointed at the codec server", async () => {
  const port = await freePort();
  const uiPort = await freePort();
  const server = await startDevServer({ port, uiPort, ui: true, databaseFile: null, reuseExisting: false, codecEndpoint: 'http://127.0.0.1:8234' });
  try {
    const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    expect(settings.Codec.Endpoint).toBe('http://127.0.0.1:8234');
  } finally {
    await server.stop();
  }
}, 90_000);
