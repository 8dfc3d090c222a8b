// The Python orchestrator's pipelines, run unchanged (prints a table, asserts nothing): every corpus file that
// validates is run as `orc run --dry-run` would run it — the echo model, the real tools, a scratch workspace per
// file, a SearxNG stand-in for web-search — on one embedded dev server and worker.
// `npm run bench:pyorc`; ORC_PYORC_CORPUS names the corpus folder (default ../shared/corpus/pyorc beside the
// repository), PYORC_TIMEOUT_S (default 120) bounds each run, PYORC_ONLY=name,name runs some files.
// PYORC_SEED names a folder copied into each workspace first: the data files the pipelines read from the Python
// project's checkout (data/, examples/data/, examples/test_data/), as a user running them from that checkout has.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { Orchestrator } = require('../dist/client');
const { compilePipelineFile, formatDiagnostic } = require('../dist/compiler');
const { TOOLS } = require('../dist/tools');
const { freePort } = require('./free-port');

const ROOT = path.resolve(__dirname, '..');
const CORPUS = path.resolve(process.env.ORC_PYORC_CORPUS ?? path.join(ROOT, '..', 'shared', 'corpus', 'pyorc'));
const TIMEOUT_MS = Number(process.env.PYORC_TIMEOUT_S ?? 120) * 1000;
const SEED = process.env.PYORC_SEED ? path.resolve(process.env.PYORC_SEED) : undefined;
const ONLY = process.env.PYORC_ONLY ? new Set(process.env.PYORC_ONLY.split(',')) : undefined;
const KNOWN_TOOLS = TOOLS.flatMap((tool) => [tool.name, ...(tool.aliases ?? [])]);
/** Step kinds that need no tool besides the file tool (issue: "LLM steps, filesystem and control flow"). */
const LLM_KINDS = new Set(['prompt', 'named', 'generate', 'loop']);

function yamlFiles(directory) {
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? yamlFiles(path.join(directory, entry.name)) : /\.ya?ml$/.test(entry.name) ? [path.join(directory, entry.name)] : []))
    .sort();
}

/**
 * A SearxNG stand-in (GET /search?format=json answers SearxNG's JSON shape) whose results are pages it serves
 * itself, so that a pipeline that fetches what it found (headless-browser, web fetch) reads real HTML.
 */
async function searxStandIn() {
  let base = '';
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (url.pathname.startsWith('/page/')) {
      const topic = decodeURIComponent(url.pathname.slice('/page/'.length));
      const html = `<!doctype html><html><head><title>${topic}</title></head><body><main><h1>${topic}</h1><p>A page about ${topic}, served by the SearxNG stand-in.</p></main></body></html>`;
      return void response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    }
    if (url.pathname !== '/search' || url.searchParams.get('format') !== 'json') return void response.writeHead(403).end();
    const query = url.searchParams.get('q') ?? '';
    const results = [1, 2, 3].map((n) => ({ url: `${base}/page/${encodeURIComponent(`${query} ${n}`)}`, title: `${query} ${n}`, content: `Page ${n} on ${query}.`, engine: 'wikipedia', score: 1 / n }));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ query, results, answers: [], suggestions: [] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  return { url: base, close: () => server.close() };
}

/** A 1x1 PNG. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A stand-in for the OpenAI image, vision and transcription endpoints the image and audio tools call. */
async function openAiMediaStandIn() {
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const json = String(request.headers['content-type'] ?? '').includes('json') && body ? JSON.parse(body) : {};
      const route = (request.url ?? '').replace(/^\/v1/, '');
      const send = (payload) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      if (route === '/images/generations' || route === '/images/edits' || route === '/images/variations') {
        return send({ created: 1, data: Array.from({ length: Number(json.n ?? 1) }, () => ({ b64_json: TINY_PNG, revised_prompt: String(json.prompt ?? '') })) });
      }
      if (route === '/chat/completions') {
        return send({ id: 'c1', object: 'chat.completion', created: 1, model: json.model, choices: [{ index: 0, message: { role: 'assistant', content: 'A small square image.' }, finish_reason: 'stop' }] });
      }
      if (route === '/audio/transcriptions') return send({ text: 'a short recording' });
      if (route === '/audio/speech') return void response.writeHead(200, { 'content-type': 'audio/mpeg' }).end(Buffer.alloc(64));
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${route}` } }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => server.close() };
}

/** Sample content for an input that names a file: CSV, code or text, as its name and description suggest. */
function sampleFile(name, spec) {
  const about = `${name} ${spec.description ?? ''}`.toLowerCase();
  if (/csv|data|dataset|table/.test(about)) return { extension: 'csv', content: 'name,value,category\nalpha,1,a\nbeta,2,b\ngamma,3,a\n' };
  if (/code|script|program/.test(about)) return { extension: 'py', content: 'def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n' };
  return { extension: 'md', content: `# Sample ${name}\n\nThe Earth orbits the Sun once a year. Water boils at 100 degrees Celsius at sea level.\n` };
}

/**
 * A value for each input without a default, as a user would give on the command line: an input that names an
 * output folder gets one under outputs/, one that names a file gets a sample file written into the workspace,
 * `object`/`array` inputs get small values of their type.
 */
function placeholderInputs(pipeline, workspace) {
  const inputs = {};
  for (const [name, spec] of Object.entries(pipeline.inputs ?? {})) {
    if (spec.default !== undefined) continue;
    if (spec.enum?.length) inputs[name] = spec.enum[0];
    else if ((spec.type === undefined || spec.type === 'string') && /(^|_)(output|dir|directory|folder)($|_)/.test(name)) inputs[name] = `outputs/${name}`;
    else if ((spec.type === undefined || spec.type === 'string') && /(^|_)(file|path|source|document)($|_)/.test(name)) {
      const sample = sampleFile(name, spec);
      const relative = `inputs/${name}.${sample.extension}`;
      fs.mkdirSync(path.join(workspace, 'inputs'), { recursive: true });
      fs.writeFileSync(path.join(workspace, relative), sample.content);
      inputs[name] = relative;
    } else inputs[name] = { integer: 3, number: 1.5, boolean: true, array: ['alpha', 'beta'], object: { name: 'alpha', values: [1, 2, 3] } }[spec.type] ?? `sample ${name}`;
  }
  return inputs;
}

/** Every step of the pipeline, loop bodies included. */
function allSteps(steps) {
  return steps.flatMap((step) => [step, ...(step.loop?.steps ? allSteps(step.loop.steps) : []), ...(step.body ? allSteps(step.body) : [])]);
}

function llmAndFilesOnly(pipeline) {
  return allSteps(pipeline.steps).every((step) => LLM_KINDS.has(step.actionKind) || (step.actionKind === 'tool' && step.tool?.name === 'filesystem'));
}

/** The first failed step: its id, its typed code and the start of its message. */
function firstFailure(result) {
  const failed = Object.entries(result.steps ?? {}).find(([, record]) => record.status === 'failed');
  if (!failed) return { step: '-', code: '-', message: (result.error ?? '').split('\n')[0] };
  const [step, record] = failed;
  return { step, code: record.error_type ?? 'UNTYPED', message: ONLY ? (record.error ?? '') : (record.error ?? '').split('\n')[0] };
}

async function main() {
  process.env.ORC_DEV_SERVER_PORT ??= String(await freePort());
  const searx = await searxStandIn();
  process.env.ORC_SEARCH_URL = searx.url;
  process.env.ORC_NET_ALLOW = [process.env.ORC_NET_ALLOW, '127.0.0.1'].filter(Boolean).join(',');
  // The image and audio tools call OpenAI's endpoints: a stand-in answers them unless the worker has a key.
  const media = process.env.OPENAI_API_KEY ? undefined : await openAiMediaStandIn();
  if (media) Object.assign(process.env, { OPENAI_API_KEY: 'sk-stand-in', OPENAI_BASE_URL: media.url });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-pyorc-corpus-'));
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null, taskQueue: 'pyorc-corpus', logLevel: 'ERROR' });
  await orchestrator.connect();
  const rows = [];
  const files = yamlFiles(CORPUS).filter((file) => !ONLY || ONLY.has(path.basename(file, path.extname(file))));
  console.log(
    `${files.length} corpus files in ${CORPUS}; each run: echo model, real tools, its own workspace${SEED ? ` seeded from ${SEED}` : ''}, ${TIMEOUT_MS / 1000} s at most\n`,
  );
  for (const file of files) {
    const name = path.relative(CORPUS, file);
    const compiled = compilePipelineFile(file, { knownTools: KNOWN_TOOLS });
    if (!compiled.ok) {
      rows.push({ name, outcome: 'refused', detail: formatDiagnostic(name, compiled.diagnostics[0]).split('\n')[0] });
      console.log(`${name.padEnd(58)} refused   ${rows.at(-1).detail}`);
      continue;
    }
    const workspace = fs.mkdtempSync(path.join(scratch, `${path.basename(file, path.extname(file))}-`));
    if (SEED) fs.cpSync(SEED, workspace, { recursive: true });
    const started = Date.now();
    const runId = `pyorc-${path.basename(file, path.extname(file))}-${started}`;
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS)));
    const run = orchestrator.execute(compiled.pipeline, placeholderInputs(compiled.pipeline, workspace), { dryRun: true, workspace, runId, coerceStrings: true }).catch((error) => ({ crash: error }));
    const result = await Promise.race([run, timeout]);
    clearTimeout(timer);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const llmOnly = llmAndFilesOnly(compiled.pipeline);
    let row;
    if (result === 'timeout') {
      await orchestrator.cancel(runId).catch(() => undefined);
      row = { name, llmOnly, outcome: 'timeout', seconds, detail: `still running after ${TIMEOUT_MS / 1000} s` };
    } else if (result.crash) {
      row = { name, llmOnly, outcome: 'crash', seconds, detail: String(result.crash.message ?? result.crash).split('\n')[0] };
    } else if (result.status === 'completed') {
      row = { name, llmOnly, outcome: 'completed', seconds, detail: `${Object.keys(result.steps).length} steps, ${(result.files ?? []).length} files written` };
    } else {
      const failure = firstFailure(result);
      row = { name, llmOnly, outcome: result.status, seconds, detail: `${failure.step}: ${failure.code} ${failure.message.slice(0, ONLY ? 2000 : 160)}` };
    }
    rows.push(row);
    console.log(`${name.padEnd(58)} ${row.outcome.padEnd(9)} ${String(row.seconds).padStart(6)} s  ${llmOnly ? 'llm+files' : 'tools    '}  ${row.detail}`);
  }
  const ran = rows.filter((row) => row.outcome !== 'refused');
  const completed = ran.filter((row) => row.outcome === 'completed');
  const llmRows = ran.filter((row) => row.llmOnly);
  const llmCompleted = llmRows.filter((row) => row.outcome === 'completed');
  console.log(
    `\n${rows.length} files: ${rows.length - ran.length} refused by validate, ${ran.length} run; ${completed.length} of ${ran.length} completed` +
      ` (${((completed.length / Math.max(ran.length, 1)) * 100).toFixed(0)}%); LLM steps, files and control flow only: ${llmCompleted.length} of ${llmRows.length} completed;` +
      ` crashes ${ran.filter((row) => row.outcome === 'crash').length}, timeouts ${ran.filter((row) => row.outcome === 'timeout').length}`,
  );
  if (process.env.PYORC_MARKDOWN) {
    const table = ['| file | outcome | s | kind | detail |', '|---|---|---|---|---|', ...rows.map((row) => `| ${row.name} | ${row.outcome} | ${row.seconds ?? ''} | ${row.llmOnly === undefined ? '' : row.llmOnly ? 'llm+files' : 'tools'} | ${String(row.detail).replace(/\|/g, '\\|')} |`)];
    fs.writeFileSync(process.env.PYORC_MARKDOWN, `${table.join('\n')}\n`);
  }
  searx.close();
  media?.close();
  await orchestrator.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
