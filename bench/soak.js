// Soak (prints figures, asserts nothing): 100 concurrent runs against an OpenAI wire-protocol fake that injects 1%
// faults (429 with Retry-After, 500, a hung request, malformed JSON), with a worker killed by SIGKILL and the dev
// server restarted on its SQLite file in the middle. Prints runs per end status, completed steps whose model
// answered more than once, and runs lost or stuck. `npm run soak`; SOAK_RUNS, SOAK_STEPS, SOAK_FAULT_RATE change it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { Client, Connection } = require('@temporalio/client');
const { Orchestrator } = require('../dist/client');
const { startDevServer } = require('../dist/worker/dev-server');
const { freePort } = require('./free-port');
const { seededRandom } = require('./seeded-random');

const RUNS = Number(process.env.SOAK_RUNS ?? 100);
const STEPS = Number(process.env.SOAK_STEPS ?? 5);
const FAULT_RATE = Number(process.env.SOAK_FAULT_RATE ?? 0.01);
/**
 * Steps cache their answers (spec section 9) unless SOAK_CACHE=0. Temporal delivers an activity at least once: an
 * answer that reached a worker killed before it reported it is asked for again. The cache entry, written before the
 * activity completes, is what turns that retry into a hit instead of a second model call.
 */
const CACHE = process.env.SOAK_CACHE !== '0';
const ANSWER_MS = 300;
/** Short enough that a hung request costs little; long enough for a loaded machine's slow start. */
const STEP_TIMEOUT_SECONDS = 20;
/** A run still open this long after the last disruption is stuck. */
const SETTLE_MS = 5 * 60_000;
const FAULTS = ['429', '500', 'hang', 'malformed'];

const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * The wire-protocol fake: answers after ANSWER_MS, or with a fault; counts requests and answers per (run, step).
 * Each worker asks under its own path (`/w<n>/v1`), so an answer written to a worker already killed with SIGKILL
 * is told apart: no step ever saw it, and asking again is the at-least-once delivery that loses no answer.
 */
function startFakeOpenAI() {
  const random = seededRandom(14);
  const requests = new Map();
  const answers = new Map();
  /** Answers sent to a worker after it was killed, per (run, step). */
  const lostWithWorker = new Map();
  /** When each worker was killed, by its number. */
  const killedAt = new Map();
  /** When each (run, step) was answered and to which worker, to tell which disruption a second answer followed. */
  const answeredAt = new Map();
  const faults = Object.fromEntries(FAULTS.map((fault) => [fault, 0]));
  const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const parsed = JSON.parse(body || '{}');
      const prompt = [...(parsed.messages ?? [])].reverse().find((message) => message.role === 'user')?.content ?? '';
      const key = /soak run (\S+) step (\S+)/.exec(prompt)?.slice(1, 3).join('/') ?? 'unknown';
      const workerNumber = Number(/^\/w(\d+)\//.exec(request.url ?? '')?.[1] ?? 0);
      bump(requests, key);
      const fault = random() < FAULT_RATE ? FAULTS[Math.floor(random() * FAULTS.length)] : null;
      if (fault) faults[fault]++;
      if (fault === '429') {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }));
        return;
      }
      if (fault === '500') {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'The server had an error', type: 'server_error' } }));
        return;
      }
      if (fault === 'hang') return; // never answers: the step's timeout ends the attempt
      setTimeout(() => {
        if (response.destroyed) return;
        const base = { id: `chatcmpl-${key}`, created: Math.floor(Date.now() / 1000), model: parsed.model ?? 'fake' };
        const usage = { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 };
        if (fault === 'malformed') {
          response.writeHead(200, { 'content-type': parsed.stream ? 'text/event-stream' : 'application/json' });
          response.end(parsed.stream ? 'data: {"id": "chatcmpl-broken", "choices": [{"delta": {"content": "cut of\n\n' : '{"id": "chatcmpl-broken", "choices": [{"message": {"content": "cut of');
          return;
        }
        // Counted once written out, to a worker that was still alive then.
        response.once('finish', () => {
          const killed = killedAt.get(workerNumber);
          if (killed !== undefined && killed <= Date.now()) return bump(lostWithWorker, key);
          bump(answers, key);
          answeredAt.set(key, [...(answeredAt.get(key) ?? []), { at: Date.now(), workerNumber }]);
        });
        if (parsed.stream) {
          // OpenAI's server-sent chunks: the answer, the finish, the usage when asked.
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          const send = (chunk) => response.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...chunk })}\n\n`);
          send({ choices: [{ index: 0, delta: { role: 'assistant', content: `ok ${key}` }, finish_reason: null }] });
          send({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
          if (parsed.stream_options?.include_usage) send({ choices: [], usage });
          response.end('data: [DONE]\n\n');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: `ok ${key}` }, finish_reason: 'stop' }], usage }));
      }, ANSWER_MS);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        urlFor: (workerNumber) => `http://127.0.0.1:${server.address().port}/w${workerNumber}/v1`,
        requests,
        answers,
        lostWithWorker,
        killedAt,
        answeredAt,
        faults,
        stop: () => {
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      }),
    ),
  );
}

function startWorker(environment, fake, workerNumber) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'orc.js'), 'worker'], {
    env: { ...environment, OPENAI_BASE_URL: fake.urlFor(workerNumber) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

const pipelineYaml = `name: soak
inputs:
  run: { type: string, required: true }
config: { model: "openai:soak-model", timeout: ${STEP_TIMEOUT_SECONDS}s, max_retries: 6, max_parallel: 5, cache_results: ${CACHE} }
steps:
${Array.from({ length: STEPS }, (_, index) => `  - id: s${index}\n    action: "soak run {{ inputs.run }} step s${index}${index > 0 ? ` after {{ s${index - 1}.result }}` : ''}"\n`).join('')}`;

async function main() {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-soak-'));
  const databaseFile = path.join(dataDirectory, 'temporal.db');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const fake = await startFakeOpenAI();
  let server = await startDevServer({ port, ui: false, databaseFile, reuseExisting: false });
  const taskQueue = `soak-${Date.now()}`;
  const environment = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    ORC_TASK_QUEUE: taskQueue,
    OPENAI_API_KEY: 'sk-soak',
    ORC_DATA_DIR: dataDirectory,
  };
  let worker = startWorker(environment, fake, 1);
  const orchestrator = new Orchestrator({ address, worker: false, taskQueue });
  const pipeline = orchestrator.compile(pipelineYaml);
  const runIds = Array.from({ length: RUNS }, (_, index) => `soak-${index}`);
  console.log(`soak: ${RUNS} runs of ${STEPS} steps, ${(FAULT_RATE * 100).toFixed(1)}% faults (${FAULTS.join(', ')}), step timeout ${STEP_TIMEOUT_SECONDS}s, step cache ${CACHE ? 'on' : 'off (SOAK_CACHE=0)'}`);
  await Promise.all(runIds.map((runId) => orchestrator.start(pipeline, { run: runId }, { runId })));
  console.log(`[${elapsed()}] started ${RUNS} runs`);

  const total = RUNS * STEPS;
  const answered = () => [...fake.answers.values()].length;
  const waitForAnswers = async (count) => {
    while (answered() < count) {
      if (worker.child.exitCode !== null) throw new Error(`the worker exited (${worker.child.exitCode}): ${worker.stderr()}`);
      await sleep(200);
    }
  };
  await waitForAnswers(Math.round(total / 3));
  // Not on the heels of an answer: the kill should land wherever the worker happens to be.
  await sleep(ANSWER_MS / 2);
  const killedAt = Date.now();
  fake.killedAt.set(1, killedAt);
  worker.child.kill('SIGKILL');
  await worker.exited;
  console.log(`[${elapsed()}] worker killed with SIGKILL after ${answered()} of ${total} steps answered; a new worker starts`);
  worker = startWorker(environment, fake, 2);
  await waitForAnswers(Math.round((total * 2) / 3));
  const stoppedAt = Date.now();
  await server.stop();
  console.log(`[${elapsed()}] dev server stopped after ${answered()} steps answered; restarting on its SQLite file`);
  server = await startDevServer({ port, ui: false, databaseFile, reuseExisting: false });
  const lastDisruption = Date.now();

  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const outcome = async (runId) => {
    for (;;) {
      try {
        const description = await client.workflow.getHandle(runId).describe();
        if (description.status.name !== 'RUNNING') return { runId, state: description.status.name, result: await client.workflow.getHandle(runId).result().catch((error) => ({ status: `error: ${error.message}` })) };
      } catch (error) {
        if (error && error.name === 'WorkflowNotFoundError') return { runId, state: 'LOST' };
      }
      if (Date.now() - lastDisruption > SETTLE_MS) return { runId, state: 'STUCK' };
      await sleep(1000);
    }
  };
  const outcomes = await Promise.all(runIds.map(outcome));
  console.log(`[${elapsed()}] every run accounted for\n`);

  const byStatus = {};
  for (const each of outcomes) {
    const status = each.result?.status ?? each.state.toLowerCase();
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }
  // How long a step took to store an answer once it was written to its worker (the cache entry's stored_at): an
  // answer written to the killed worker less than that before its SIGKILL may have died in the worker unread.
  const storeDelays = [];
  for (const each of outcomes) {
    for (const [step, record] of Object.entries(each.result?.steps ?? {})) {
      const answers = fake.answeredAt.get(`${each.runId}/${step}`) ?? [];
      if (answers.length === 1 && answers[0].workerNumber === 1 && record.cache?.stored_at && !record.cache.hit) storeDelays.push(Date.parse(record.cache.stored_at) - answers[0].at);
    }
  }
  const storeDelay = storeDelays.length ? Math.max(...storeDelays) : 0;
  let completedSteps = 0;
  const doubleCalled = [];
  const unreadAtKill = [];
  for (const each of outcomes) {
    for (const [step, record] of Object.entries(each.result?.steps ?? {})) {
      if (record.status !== 'completed') continue;
      completedSteps++;
      const key = `${each.runId}/${step}`;
      const answers = fake.answeredAt.get(key) ?? [];
      if (answers.length < 2) continue;
      const first = answers[0];
      const unread = CACHE && first.workerNumber === 1 && first.at > killedAt - storeDelay;
      (unread ? unreadAtKill : doubleCalled).push(`${key} (${answers.length} answers)`);
    }
  }
  const phases = { 'before the kill': 0, 'after the kill': 0, 'after the server restart': 0 };
  for (const each of doubleCalled) {
    const second = fake.answeredAt.get(each.split(' ')[0])[1].at;
    phases[second < killedAt ? 'before the kill' : second < stoppedAt ? 'after the kill' : 'after the server restart']++;
  }
  const requests = [...fake.requests.values()].reduce((sum, each) => sum + each, 0);
  console.log(`runs per end status: ${Object.entries(byStatus).map(([status, count]) => `${status} ${count}`).join(', ')}`);
  console.log(`runs lost: ${outcomes.filter((each) => each.state === 'LOST').length}, stuck: ${outcomes.filter((each) => each.state === 'STUCK').length} (goal 0 and 0)`);
  console.log(`completed steps: ${completedSteps} of ${total}; completed steps whose model answered more than once: ${doubleCalled.length} (goal 0)${doubleCalled.length ? `: ${doubleCalled.slice(0, 10).join(', ')}` : ''}`);
  if (doubleCalled.length) console.log(`  second answers came ${Object.entries(phases).map(([phase, count]) => `${phase}: ${count}`).join(', ')}`);
  const lost = [...fake.lostWithWorker.values()].reduce((sum, each) => sum + each, 0);
  console.log(
    `requests in flight at the SIGKILL, asked again (no provider takes an idempotency key for a completion): ${lost} answered after the kill, ` +
      `${unreadAtKill.length} answered in the ${storeDelay} ms before it (the most a step took to store an answer it was sent)` +
      (unreadAtKill.length ? `: ${unreadAtKill.slice(0, 10).join(', ')}` : ''),
  );
  console.log(`model requests: ${requests} (${Object.entries(fake.faults).map(([fault, count]) => `${fault} ${count}`).join(', ')} injected); total time ${elapsed()}`);
  const failed = outcomes.filter((each) => each.result && each.result.status !== 'completed').slice(0, 5);
  for (const each of failed) console.log(`  ${each.runId}: ${each.result.status}: ${each.result.error}`);

  await connection.close();
  worker.child.kill('SIGINT');
  await Promise.race([worker.exited, sleep(10_000)]);
  worker.child.kill('SIGKILL');
  await orchestrator.close();
  await server.stop();
  await fake.stop();
  fs.rmSync(dataDirectory, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
