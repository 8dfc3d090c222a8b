// Records the histories the replay tests replay (test/histories/*.json): real runs of the example pipelines
// on an in-memory dev server with the echo model, including a paused and resumed run, an approval, a
// for_each and a failure with a handler. Run after `npm run build`: `node scripts/record-histories.js [NAME…]`
// (names given: only those files are written). Re-record only on purpose: the committed histories are what
// proves old runs still replay.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { historyToJSON } = require('@temporalio/common/lib/proto-utils');
const { Orchestrator, approveUpdate, pauseSignal, resumeSignal, statusQuery } = require('../dist/client');
const { registerSearchAttributes } = require('../dist/worker/dev-server');

const root = path.join(__dirname, '..');
const output = path.join(root, 'test', 'histories');
const only = process.argv.slice(2);

/**
 * For model_routing: echo made selectable and rate-limited, so a run (not a dry run) selects it for requirements
 * and sends its calls to the echo provider's own task queue.
 */
const routingModelsFile = `
models:
  echo:
    provider: echo
    model: echo
    selectable: true
    capabilities: { tasks: [general, reasoning], context_window: 1000000, structured_output: true }
    pricing: { input_per_1k: 0, output_per_1k: 0 }
providers:
  echo:
    rate_limits: { requests_per_minute: 6000, concurrent_requests: 4 }
`;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const inline = {
  approval: `
name: approval_example
steps:
  - id: draft
    action: "Draft a note about {{ topic }}"
  - id: review
    action: approval
    parameters: { prompt: "Publish {{ draft.result }}?", timeout: 1h }
  - id: publish
    action: "Publish {{ draft.result }}"
`,
  for_each: `
name: for_each_example
inputs:
  words: { type: array, required: true }
steps:
  - id: define
    action: "Define {{ item }} (word {{ index }})"
    for_each: "{{ words }}"
    max_parallel: 2
  - id: summary
    action: "Summarise {{ define.result }}"
`,
  model_routing: `
name: model_routing_example
steps:
  - id: named
    action: "Name a colour for {{ topic }}"
    model: echo
    parameters:
      tone: "<AUTO>formal or casual</AUTO>"
  - id: chosen
    action: "Reason about {{ named.result }}"
    model: { tasks: [reasoning], policy: cost_optimized }
  - id: each
    action: "Think about {{ item }}"
    for_each: [red, green]
    model: { tasks: [reasoning] }
`,
  // Recorded after step-metadata, render-step-model and for-each-fallbacks: labelled activities, Orc* search
  // attributes, a templated model and approval timeout, and for_each items moving to a fallback model.
  step_kinds: `
name: step_kinds_example
inputs: { topic: string, which: string, wait: string }
steps:
  - id: pick
    action: "Answer about {{ topic }}"
    model: "{{ which }}"
  - id: each
    action: "Describe {{ item }}"
    for_each: [sun, moon]
    model: openai:gpt-4o-mini
    max_retries: 0
    fallback: [echo]
  - id: review
    action: approval
    parameters: { prompt: "Keep {{ pick.result }}?", timeout: "{{ wait }}" }
`,
  // Recorded after lean-step-calls: steps started together while their model's route is asked, a step started once
  // it is known, an AUTO-tagged step, a step with a fallback model and a for_each, side by side.
  lean_steps: `
name: lean_steps_example
config: { model: echo }
steps:
  - id: first
    action: "First about {{ topic }}"
  - id: second
    action: "Second about {{ topic }}"
  - id: tagged
    action: "Write about {{ topic }}"
    parameters:
      tone: "<AUTO>formal or casual</AUTO>"
  - id: joined
    action: "Join {{ first.result }} and {{ second.result }}"
    fallback: [echo]
  - id: each
    action: "Describe {{ item }} after {{ joined.result }}"
    for_each: [sun, moon]
  - id: last
    action: "End with {{ tagged.result }}"
    depends_on: [each]
`,
  // Recorded after direct-scheduling: steps that end start their dependents themselves, several ending together,
  // a max_parallel slot freed by an ending step, a failure that is continued and one whose dependents are skipped.
  direct_scheduling: `
name: direct_scheduling_example
config: { model: echo, max_parallel: 2 }
steps:
  - { id: a, action: "A about {{ topic }}" }
  - { id: b, action: "B about {{ topic }}" }
  - { id: c, action: "C about {{ topic }}" }
  - { id: joined, action: "Join {{ a.result }}, {{ b.result }} and {{ c.result }}" }
  - { id: broken, action: "Read {{ joined.result }}", model: "{{ missing_model }}", on_failure: continue }
  - { id: after_broken, action: "After {{ broken.status }}" }
  - { id: last, action: "End {{ joined.result }}", depends_on: [after_broken] }
inputs:
  topic: { type: string }
  missing_model: { type: string, default: "" }
`,
  // Recorded after loops over a block, when_skips and on_error (spec section 18): iterations' steps as activities,
  // a block handler run for a failed iteration step, a fallback value, a condition that skips one step only.
  loops: `
name: loops_example
inputs:
  topic: { type: string, required: true }
  words: { type: array, required: true }
steps:
  - id: plan
    action: "Plan {{ topic }}"
    output_schema: { type: object }
  - id: each
    for_each: "{{ words }}"
    max_parallel: 2
    steps:
      - id: draft
        action: "Draft {{ item }} ({{ $index }}) for {{ plan.result }}"
      - id: review
        action: "Review {{ draft.result }} with {{ plan.result.missing_field }}"
        max_retries: 0
        on_error: { handler_task_id: fix, retry_with_handler: false }
      - id: fix
        action: "Fix: {{ failed.error }}"
  - id: grow
    while: "{{ grow.iteration < 2 }}"
    steps:
      - id: step
        action: "Grow {{ iteration }}"
  - id: guess
    action: "Use {{ plan.result.missing_field }}"
    max_retries: 0
    on_error: { fallback_value: none }
  - id: gate
    action: "Gate"
    when: "{{ words | length > 5 }}"
    when_skips: step
  - id: last
    action: "Last {{ each.iterations }} {{ grow.iterations }} {{ guess.result }} {{ gate.status }}"
`,
  failure_handler: `
name: failure_handler_example
steps:
  - id: plan
    action: "Plan {{ topic }}"
    output_schema: { type: object }
  - id: risky
    action: "Use {{ plan.result.missing_field }}"
    on_failure: recover
  - id: after
    action: "After {{ risky.result }}"
  - id: recover
    action: "Recover from: {{ failed.error }}"
`,
};

async function waitFor(handle, predicate) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const progress = await handle.query(statusQuery);
    if (predicate(progress)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}

async function main() {
  process.env.ORC_DEV_SERVER_PORT = String(await freePort());
  const modelsDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-record-'));
  process.env.ORC_MODELS_FILE = path.join(modelsDirectory, 'models.yaml');
  fs.writeFileSync(process.env.ORC_MODELS_FILE, routingModelsFile);
  for (const variable of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GOOGLE_API_KEY']) delete process.env[variable];
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null, logLevel: 'ERROR' });
  const client = await orchestrator.connect();
  const runs = [];
  const record = async (name, handle) => {
    await handle.result();
    if (only.length > 0 && !only.includes(name)) return;
    const history = await handle.fetchHistory();
    fs.writeFileSync(path.join(output, `${name}.json`), `${historyToJSON(history)}\n`);
    runs.push(name);
  };
  const file = (name) => orchestrator.compile(fs.readFileSync(path.join(root, 'pipelines', name), 'utf8'), `pipelines/${name}`);
  const inputsOf = (name) => JSON.parse(fs.readFileSync(path.join(root, 'pipelines', 'inputs', name.replace('.yaml', '.json')), 'utf8'));

  for (const name of ['summarize.yaml', 'pros_cons.yaml', 'support_reply.yaml']) {
    const { handle } = await orchestrator.start(file(name), inputsOf(name), { dryRun: true, runId: `history-${name.replace('.yaml', '')}` });
    await record(name.replace('.yaml', ''), handle);
  }

  const paused = await orchestrator.start(file('pros_cons.yaml'), inputsOf('pros_cons.yaml'), { dryRun: true, runId: 'history-paused' });
  await paused.handle.signal(pauseSignal);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await paused.handle.signal(resumeSignal);
  await record('paused_resumed', paused.handle);

  const approval = await orchestrator.start(orchestrator.compile(inline.approval), { topic: 'tea' }, { dryRun: true, runId: 'history-approval' });
  await waitFor(approval.handle, (progress) => progress.steps.review.status === 'waiting');
  await approval.handle.executeUpdate(approveUpdate, { args: [{ step: 'review', approved: true, comment: 'fine', by: 'recorder' }] });
  await record('approval', approval.handle);

  const forEach = await orchestrator.start(orchestrator.compile(inline.for_each), { words: ['river', 'mountain', 'forest'] }, { dryRun: true, runId: 'history-for-each' });
  await record('for_each', forEach.handle);

  const failure = await orchestrator.start(orchestrator.compile(inline.failure_handler), { topic: 'tea' }, { dryRun: true, runId: 'history-failure-handler' });
  await record('failure_handler', failure.handle);

  const routing = await orchestrator.start(orchestrator.compile(inline.model_routing), { topic: 'tea' }, { runId: 'history-model-routing' });
  await record('model_routing', routing.handle);

  const lean = await orchestrator.start(orchestrator.compile(inline.lean_steps), { topic: 'tea' }, { runId: 'history-lean-steps' });
  await record('lean_steps', lean.handle);

  // The Orc* search attributes must be registered before a run upserts them (RunOptions.searchAttributes).
  await registerSearchAttributes(`127.0.0.1:${process.env.ORC_DEV_SERVER_PORT}`);
  const kinds = await client.workflow.start('pipelineWorkflow', {
    taskQueue: orchestrator.taskQueue,
    workflowId: 'history-step-kinds',
    args: [{ pipeline: orchestrator.compile(inline.step_kinds), inputs: { topic: 'tea', which: 'echo', wait: '1h' }, options: { searchAttributes: true } }],
  });
  await waitFor(kinds, (progress) => progress.steps.review.status === 'waiting');
  await kinds.executeUpdate(approveUpdate, { args: [{ step: 'review', approved: true, by: 'recorder' }] });
  await record('step_kinds', kinds);

  const loops = await orchestrator.start(orchestrator.compile(inline.loops), { topic: 'tea', words: ['river', 'mountain', 'forest'] }, { dryRun: true, runId: 'history-loops' });
  await record('loops', loops.handle);
  // Recorded after all-of-2026-12: one patch marker stands for every change before it.
  const all = await client.workflow.start('pipelineWorkflow', {
    taskQueue: orchestrator.taskQueue,
    workflowId: 'history-all-changes',
    args: [{ pipeline: orchestrator.compile(inline.lean_steps), inputs: { topic: 'tea' }, options: { searchAttributes: true } }],
  });
  await record('all_changes', all);

  const direct = await orchestrator.start(orchestrator.compile(inline.direct_scheduling), { topic: 'tea' }, { runId: 'history-direct-scheduling' });
  await record('direct_scheduling', direct.handle);

  await orchestrator.close();
  fs.rmSync(modelsDirectory, { recursive: true, force: true });
  console.log(`recorded ${runs.length} histories in ${path.relative(root, output)}: ${runs.join(', ')}`);
  void client;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
