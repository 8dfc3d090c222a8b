// Benchmark (prints figures, asserts nothing): the overhead of a filesystem write through orc, against writing
// the file directly in one process: fs.writeFile, the runTool activity alone (workspace checks, parameters,
// atomic write), and a one-step pipeline run (workflow + activity on the dev server).
// `node bench/tools.js` after a build; `npm run bench` calls benchToolOverhead().
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MockActivityEnvironment } = require('@temporalio/testing');
const { createToolActivities } = require('../dist/activities/tools');
const { Orchestrator } = require('../dist/client');
const { compilePipeline } = require('../dist/compiler');
const { freePort } = require('./free-port');

const RUNS = Number(process.env.BENCH_TOOL_RUNS ?? 20);
const CONTENT = 'x'.repeat(1024);

const PIPELINE = `
name: tool_write_bench
inputs: { n: { type: integer } }
steps:
  - id: write
    tool: filesystem
    action: write
    parameters: { path: "bench/{{ inputs.n }}.txt", content: "${CONTENT}" }
`;

/** The pipeline compiled (a `tool:` step: the Python orchestrator's dialect, where `{ n: integer }` would be a default). */
function compiledPipeline() {
  const compiled = compilePipeline(PIPELINE, { file: 'bench.yaml' });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.pipeline;
}

async function median(run) {
  await run(-1); // warm-up
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    await run(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function benchToolOverhead(orchestrator) {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-bench-tools-'));
  fs.mkdirSync(path.join(workspace, 'bench'));
  const direct = await median((i) => fs.promises.writeFile(path.join(workspace, 'bench', `direct-${i}.txt`), CONTENT));
  const tools = createToolActivities();
  const activity = await median((i) =>
    new MockActivityEnvironment().run(tools.runTool, { tool: 'filesystem', action: 'write', parameters: { path: `bench/activity-${i}.txt`, content: CONTENT }, runId: 'bench', stepId: 'write', workspace }),
  );
  const pipeline = compiledPipeline();
  const run = await median(async (i) => {
    const result = await orchestrator.execute(pipeline, { n: i }, { workspace });
    if (result.status !== 'completed') throw new Error(`the run ${result.status}: ${JSON.stringify(result.steps.write)}`);
  });
  const row = (label, ms) => console.log(`${label.padEnd(34)} ${ms.toFixed(2).padStart(8)} ms  (${(ms / direct).toFixed(0)}x fs.writeFile)`);
  console.log(`filesystem write of 1 KiB, medians of ${RUNS}:`);
  row('fs.promises.writeFile', direct);
  row('runTool activity (no Temporal)', activity);
  row('one-step run (workflow + activity)', run);
  fs.rmSync(workspace, { recursive: true, force: true });
}

module.exports = { benchToolOverhead };

if (require.main === module) {
  (async () => {
    process.env.ORC_DEV_SERVER_PORT = String(await freePort());
    const orchestrator = new Orchestrator({ ui: false, databaseFile: null });
    await orchestrator.connect();
    try {
      await benchToolOverhead(orchestrator);
    } finally {
      await orchestrator.close();
    }
  })().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
