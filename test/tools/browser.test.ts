// headless-browser / web-scraper and pdf-compiler on Debian's real Chromium, against a local HTTP server reached as
// `localhost` (allowed through ORC_NET_ALLOW); 127.0.0.1, private and link-local addresses stay refused.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { FailureType } from '../../src/base/failure-types';
import { freePort } from '../helpers/ports';
import { callTool, toolContext, type TestToolContext } from './tool-context';

let server: http.Server;
let port: number;
const requested: string[] = [];

const PAGE = `<!doctype html><html><head><title>Orchard report</title></head><body>
<h1>Apples</h1><p>Seven apples were picked.</p><div id="late"></div>
<a href="/pears">Pears page</a> <a href="https://example.org/plums">Plums</a>
<img src="http://127.0.0.1:PORT/tracker.png">
<script>document.getElementById('late').textContent = 'Written by script';</script>
</body></html>`;

beforeAll(async () => {
  port = await freePort();
  server = http.createServer((request, response) => {
    requested.push(request.url ?? '');
    if (request.url === '/redirect') {
      response.writeHead(302, { location: `http://127.0.0.1:${port}/secret` });
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(request.url === '/secret' ? '<title>secret</title>metadata' : PAGE.replace('PORT', String(port)));
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let context: TestToolContext;
beforeEach(() => {
  requested.length = 0;
  context = toolContext({ ...process.env, ORC_NET_ALLOW: 'localhost' });
});
afterEach(() => context.remove());

test('scrape: title, text written by the page\'s script, word count and absolute links', async () => {
  const result = await callTool('headless-browser', 'scrape', { url: `http://localhost:${port}/` }, context);
  expect(result.title).toBe('Orchard report');
  expect(result.text).toContain('Seven apples were picked.');
  expect(result.text).toContain('Written by script');
  expect(result.word_count).toBe(String(result.text).split(/\s+/).length);
  expect(result.links).toEqual([
    { text: 'Pears page', url: `http://localhost:${port}/pears` },
    { text: 'Plums', url: 'https://example.org/plums' },
  ]);
  // The image on 127.0.0.1 was refused, not fetched; the page itself loaded.
  expect(requested).toEqual(['/']);
});

test('web-scraper is the same tool; extract is scrape', async () => {
  const result = await callTool('web-scraper', 'extract', { url: `http://localhost:${port}/` }, context);
  expect(result.title).toBe('Orchard report');
});

test.each([
  ['loopback', 'http://127.0.0.1:1/'],
  ['cloud metadata (link-local)', 'http://169.254.169.254/latest/meta-data/'],
  ['private', 'http://10.1.2.3/'],
])('a %s address is refused with NETWORK_REFUSED', async (_name, url) => {
  await expect(callTool('headless-browser', 'scrape', { url }, context)).rejects.toMatchObject({ type: FailureType.NetworkRefused });
});

test('a redirect into a loopback address is refused, and the target is never asked', async () => {
  await expect(callTool('headless-browser', 'scrape', { url: `http://localhost:${port}/redirect` }, context)).rejects.toMatchObject({ type: FailureType.NetworkRefused });
  expect(requested).toEqual(['/redirect']);
});

test('a file: URL is refused', async () => {
  await expect(callTool('headless-browser', 'scrape', { url: 'file:///etc/passwd' }, context)).rejects.toMatchObject({ type: FailureType.NetworkRefused });
});

test('screenshot: a PNG written into the workspace; verify: found or not', async () => {
  const shot = await callTool('headless-browser', 'screenshot', { url: `http://localhost:${port}/`, output_path: 'shots/home.png' }, context);
  const file = path.join(context.workspace.root, 'shots/home.png');
  expect(shot).toMatchObject({ path: 'shots/home.png', title: 'Orchard report' });
  expect(fs.readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  expect(context.written).toEqual(['shots/home.png']);
  await expect(callTool('headless-browser', 'verify', { url: `http://localhost:${port}/`, expect_text: 'seven apples' }, context)).resolves.toMatchObject({ ok: true, found: true, status: 200 });
  await expect(callTool('headless-browser', 'check', { url: `http://localhost:${port}/`, expect_text: 'bananas' }, context)).resolves.toMatchObject({ ok: false, found: false });
  await expect(callTool('headless-browser', 'screenshot', { url: `http://localhost:${port}/`, output_path: '../out.png' }, context)).rejects.toMatchObject({ type: FailureType.PathOutsideWorkspace });
});

test('pdf-compiler: markdown printed to a PDF in the workspace', async () => {
  const result = await callTool('pdf-compiler', 'compile', { markdown_content: '# Report\n\nSome **bold** text.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n', output_path: 'reports/r.pdf' }, context);
  const file = path.join(context.workspace.root, 'reports/r.pdf');
  expect(result).toEqual({ output_path: 'reports/r.pdf', file_size: fs.statSync(file).size });
  expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  await expect(callTool('pdf-compiler', 'compile', { markdown_content: 'x', output_path: '/etc/x.pdf' }, context)).rejects.toMatchObject({ type: FailureType.PathOutsideWorkspace });
});
