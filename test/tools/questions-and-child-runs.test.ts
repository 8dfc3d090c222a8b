// Workflow-side tools in real runs: user-prompt, approval-gate and feedback-collection wait for `orc answer`
// (a Temporal Update) or take their default after the timeout; pipeline-executor runs a child run. Also `orc tools`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orchestrator } from '../../src/client';
import { orcEnvironment, runOrc } from '../helpers/cli';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { compileToolYaml } from '../helpers/tool-pipelines';

const taskQueue = `tools-questions-${process.pid}`;
let orchestrator: Orchestrator;
let workspace: string;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-workspace-'));
});

afterAll(async () => {
  await orchestrator?.close();
});

async function waitingFor(runId: string, step: string): Promise<string> {
  for (;;) {
    const progress = await orchestrator.status(runId);
    const waiting = progress.waiting.find((each) => each.step === step);
    if (waiting) return waiting.prompt;
    if (progress.status !== 'running') throw new Error(`run ${runId} ended (${progress.status}) before ${step} waited`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('orc answer answers a user-prompt (choices enforced) and an approval-gate; the pipeline reads the answers', async () => {
  const pipeline = compileToolYaml(`
name: questions
steps:
  - id: format
    tool: user-prompt
    action: execute
    parameters: { prompt: "Select output format", choices: [csv, json], default: csv }
  - id: gate
    tool: approval-gate
    action: execute
    parameters: { title: "Save as {{ format.value }}?", content: "Approve to save." }
  - id: save
    tool: filesystem
    action: write
    parameters: { path: "out.{{ format.value }}", content: "approved={{ gate.approved }}" }
`);
  const { handle } = await orchestrator.start(pipeline, {}, { workspace });
  const runId = handle.workflowId;
  expect(await waitingFor(runId, 'format')).toBe('Select output format');
  const environment = orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS });
  const refused = await runOrc(['answer', runId, 'format', 'xml'], environment);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/answer refused: step 'format' takes one of: csv, json; got 'xml'/);
  const answered = await runOrc(['answer', runId, 'format', 'json', '--by', 'ana'], environment);
  expect(answered).toMatchObject({ code: 0, stdout: 'format: answered "json"\n' });
  expect(await waitingFor(runId, 'gate')).toBe('Save as json?\n\nApprove to save.');
  await orchestrator.answer(runId, { step: 'gate', value: 'yes' });
  const result = await orchestrator.follow(handle);
  expect(result.status).toBe('completed');
  expect(result.steps.format!.result).toMatchObject({ value: 'json', answered_by: 'answered', result: { value: 'json' } });
  expect(result.steps.gate!.result).toMatchObject({ approved: true });
  expect(fs.readFileSync(path.join(workspace, 'out.json'), 'utf8')).toBe('approved=true');
});

test('after its timeout a question takes its default; with no default it fails with NO_ANSWER', async () => {
  const result = await orchestrator.execute(
    compileToolYaml(`
name: timeouts
steps:
  - id: feedback
    tool: feedback-collection
    action: execute
    parameters: { title: "How was it?", timeout: 1, default: '{"rating": 3}' }
  - id: silent
    tool: user-prompt
    action: execute
    parameters: { prompt: "Anyone?", timeout: 1 }
    on_failure: continue
`),
  );
  expect(result.steps.feedback!.result).toMatchObject({ feedback: { rating: 3 }, answered_by: 'default' });
  expect(result.steps.silent).toMatchObject({ status: 'failed', error_type: 'NO_ANSWER' });
  expect(result.steps.silent!.error).toMatch(/no answer within 1s and no default: answer with orc answer RUN_ID silent VALUE, or give parameters.default/);
});

test('pipeline-executor runs a pipeline file from the workspace and inline YAML as child runs, with their outputs and files', async () => {
  fs.writeFileSync(
    path.join(workspace, 'child.yaml'),
    `name: child
inputs:
  word: { type: string }
steps:
  - id: save
    tool: filesystem
    action: write
    parameters: { path: "child/{{ inputs.word }}.txt", content: "{{ inputs.word }}" }
outputs:
  saved: "{{ save.path }}"
`,
  );
  const pipeline = compileToolYaml(`
name: parent
steps:
  - id: from_file
    tool: pipeline-executor
    action: execute
    parameters: { pipeline: child.yaml, inputs: { word: hello }, output_mapping: { saved: written } }
  - id: inline
    tool: pipeline-executor
    action: execute
    parameters:
      # Written inline, the child's YAML is the parent's text: its templates are rendered by the parent first.
      pipeline: |
        name: inline_child
        steps:
          - id: note
            action: from the inline child
            model: echo
    depends_on: [from_file]
`);
  // The compiler's pipeline has no source file here: a relative child file is looked for in the workspace.
  const result = await orchestrator.execute(pipeline, {}, { workspace });
  expect(result.status).toBe('completed');
  expect(result.steps.from_file!.result).toMatchObject({ pipeline_id: 'child', status: 'completed', outputs: { written: 'child/hello.txt' }, steps_executed: 1 });
  expect(result.steps.inline!.result).toMatchObject({ pipeline_id: 'inline_child', status: 'completed', steps_executed: 1, outputs: { note: 'from the inline child' } });
  // The child run's files are in the parent's list.
  expect(fs.readFileSync(path.join(workspace, 'child/hello.txt'), 'utf8')).toBe('hello');
  expect(result.files).toEqual(['child/hello.txt']);
});

test('orc tools lists every tool and action; without ORC_SEARCH_URL web-search is unavailable with the reason', async () => {
  const listed = await runOrc(['tools'], orcEnvironment({ ORC_SEARCH_URL: undefined }));
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(/^web-search: unavailable: ORC_SEARCH_URL is not set: point it at a SearxNG instance/m);
  expect(listed.stdout).toMatch(/^filesystem: available\n/m);
  expect(listed.stdout).toMatch(/^ {2}- write\(path, content\?, mode\?\): /m);
  const json = await runOrc(['tools', '--json'], orcEnvironment({ ORC_SEARCH_URL: 'http://searxng.internal:8080' }));
  const tools = JSON.parse(json.stdout) as Array<{ name: string; available: boolean; reason: string | null; actions: Array<{ name: string }> }>;
  expect(tools.find((tool) => tool.name === 'web-search')).toMatchObject({ available: true, reason: null, actions: [{ name: 'search' }] });
  for (const name of ['filesystem', 'http-client', 'terminal', 'python-executor', 'validation', 'report-generator', 'markdown-to-html', 'mcp-server', 'mcp-memory', 'memory', 'pipeline-executor', 'user-prompt', 'approval-gate', 'feedback-collection', 'multi-model-routing', 'task-delegation', 'prompt-optimization']) {
    expect(tools.map((tool) => tool.name)).toContain(name);
  }
});
