// The filesystem tool in real runs: every action, the run's list of files, path escapes refused with nothing
// touched, and the typed failures of an unknown tool, an out-of-scope tool and bad parameters.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orchestrator } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { compileYaml } from '../helpers/compile';
import { compileToolYaml } from '../helpers/tool-pipelines';

const taskQueue = `tools-filesystem-${process.pid}`;
let orchestrator: Orchestrator;
let workspace: string;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

beforeEach(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-workspace-'));
});

function run(yaml: string, inputs: Record<string, unknown> = {}) {
  return orchestrator.execute(compileToolYaml(yaml), inputs, { workspace });
}

test('write, read, list, exists, copy, move and delete inside the workspace; the run lists what it wrote', async () => {
  const result = await run(`
name: files
config: { model: echo }
steps:
  - id: write
    tool: filesystem
    action: write
    parameters: { path: "notes/{{ inputs.name }}.md", content: "# {{ inputs.name }}\\nhello" }
  - id: write_json
    tool: filesystem
    action: write
    parameters: { path: data/values.json, content: { a: 1 } }
    depends_on: [write]
  - id: read
    tool: filesystem
    action: read
    parameters: { path: "{{ write.path }}" }
  - id: copy
    tool: filesystem
    action: copy
    parameters: { path: "{{ write.result.path }}", destination: archive/copy.md }
  - id: move
    tool: filesystem
    action: move
    parameters: { path: "{{ copy.destination }}", destination: archive/moved.md }
  - id: list
    tool: filesystem
    action: list
    parameters: { path: ".", recursive: true, pattern: "*.md" }
    depends_on: [move, write_json]
  - id: exists
    tool: filesystem
    action: exists
    parameters: { path: archive/copy.md }
    depends_on: [move]
  - id: delete
    tool: filesystem
    action: delete
    parameters: { path: data/values.json }
    depends_on: [list]
  - id: summary
    action: "Read {{ read.result.size }} bytes: {{ read.content }} | listed {{ list.count }} | copy still there: {{ exists.exists }}"
    depends_on: [delete]
inputs:
  name: { type: string }
outputs:
  summary: "{{ summary.result }}"
`, { name: 'alpha' });
  expect(result.status).toBe('completed');
  expect(result.outputs.summary).toBe('Read 13 bytes: # alpha\nhello | listed 2 | copy still there: false');
  expect(fs.readFileSync(path.join(workspace, 'notes/alpha.md'), 'utf8')).toBe('# alpha\nhello');
  expect(fs.readFileSync(path.join(workspace, 'archive/moved.md'), 'utf8')).toBe('# alpha\nhello');
  expect(fs.existsSync(path.join(workspace, 'data/values.json'))).toBe(false);
  expect(result.steps.write!.result).toMatchObject({ path: 'notes/alpha.md', size: 13, success: true, result: { path: 'notes/alpha.md', size: 13 } });
  expect(result.steps.list!.result).toMatchObject({ count: 2, files: ['archive/moved.md', 'notes/alpha.md'] });
  expect(result.steps.write!.files).toEqual(['notes/alpha.md']);
  expect(result.files).toEqual(['notes/alpha.md', 'data/values.json', 'archive/copy.md', 'archive/moved.md']);
});

test('paths that leave the workspace fail with PATH_OUTSIDE_WORKSPACE and touch nothing', async () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-outside-'));
  const victim = path.join(outside, 'victim.txt');
  fs.writeFileSync(victim, 'original');
  fs.symlinkSync(outside, path.join(workspace, 'link'));
  const result = await run(`
name: escapes
steps:
  - id: climb
    tool: filesystem
    action: write
    parameters: { path: "../${path.basename(outside)}/victim.txt", content: overwritten }
    on_failure: continue
  - id: absolute
    tool: filesystem
    action: write
    parameters: { path: "${victim}", content: overwritten }
    on_failure: continue
  - id: through_link
    tool: filesystem
    action: write
    parameters: { path: link/victim.txt, content: overwritten }
    on_failure: continue
  - id: delete_through_link
    tool: filesystem
    action: delete
    parameters: { path: link/victim.txt }
    on_failure: continue
  - id: read_etc
    tool: filesystem
    action: read
    parameters: { path: /etc/hostname }
    on_failure: continue
`);
  expect(result.status).toBe('partially_completed');
  for (const id of ['climb', 'absolute', 'through_link', 'delete_through_link', 'read_etc']) {
    expect(result.steps[id]).toMatchObject({ status: 'failed', error_type: 'PATH_OUTSIDE_WORKSPACE', attempts: 1 });
    expect(result.steps[id]!.error).toMatch(/outside the run's workspace .*nothing was touched/);
  }
  expect(fs.readFileSync(victim, 'utf8')).toBe('original');
  expect(result.files).toBeUndefined();
});

test('an unknown tool, a cloud tool, an unknown action and bad parameters fail at their step with a typed code', async () => {
  const result = await run(`
name: unavailable
steps:
  - id: unknown
    tool: teleporter
    action: beam
    parameters: {}
    on_failure: continue
  - id: cloud
    tool: aws-s3
    action: upload
    parameters: { bucket: b }
    on_failure: continue
  - id: no_action
    tool: filesystem
    action: shred
    parameters: { path: a }
    on_failure: continue
  - id: bad
    tool: filesystem
    action: write
    parameters: { path: 42 }
    on_failure: continue
  - id: missing
    tool: filesystem
    action: read
    parameters: { path: nowhere.txt }
    on_failure: continue
`);
  expect(result.steps.unknown).toMatchObject({ status: 'failed', error_type: 'TOOL_UNAVAILABLE', attempts: 1 });
  expect(result.steps.unknown!.error).toMatch(/no tool 'teleporter' on this worker; its tools: filesystem, http-client, .*Use one of them/);
  expect(result.steps.cloud).toMatchObject({ status: 'failed', error_type: 'TOOL_UNAVAILABLE' });
  expect(result.steps.cloud!.error).toMatch(/tool 'aws-s3' is out of scope/);
  expect(result.steps.no_action).toMatchObject({ status: 'failed', error_type: 'TOOL_UNAVAILABLE' });
  expect(result.steps.no_action!.error).toMatch(/tool 'filesystem' has no action 'shred'; its actions: read, write, list, exists, copy, move, delete/);
  expect(result.steps.bad).toMatchObject({ status: 'failed', error_type: 'INVALID_STEP' });
  expect(result.steps.bad!.error).toMatch(/^step 'bad': tool filesystem.write: parameters.path: /);
  expect(result.steps.missing).toMatchObject({ status: 'failed', error_type: 'TOOL_FAILED' });
  expect(result.steps.missing!.error).toMatch(/no file 'nowhere.txt' in the workspace/);
});

test('a tool step with foreach (the Python orchestrator\'s form) calls the tool once per item', async () => {
  const pipeline = compileYaml(`
id: per_item_writes
parameters:
  names: { type: array, default: [alpha, beta, gamma] }
steps:
  - id: write_each
    tool: filesystem
    action: write
    foreach: "{{ names }}"
    parameters: { path: "out/{{ item }}.txt", content: "item {{ index }}: {{ item }}" }
`);
  const result = await orchestrator.execute(pipeline, {}, { workspace });
  expect(result.status).toBe('completed');
  expect(['alpha', 'beta', 'gamma'].map((name) => fs.readFileSync(path.join(workspace, 'out', `${name}.txt`), 'utf8'))).toEqual(['item 0: alpha', 'item 1: beta', 'item 2: gamma']);
  expect(result.steps.write_each!.result).toMatchObject({ iterations: 3, completed: true });
}, 60_000);

test('a foreach tool step whose condition reads the item decides per item; quoted lines under-indented as PyYAML allows are read', async () => {
  const pipeline = compileYaml(`
id: per_item_condition
parameters:
  names: { type: array, default: [alpha, beta, gamma] }
steps:
  - id: write_some
    tool: filesystem
    action: write
    foreach: "{{ names }}"
    condition: "{{ item != 'beta' }}"
    parameters:
      path: "some/{{ item }}.txt"
      content: "{{ item
    | upper }} of {{ names | length
    }}"
`);
  const result = await orchestrator.execute(pipeline, {}, { workspace });
  expect(result.status).toBe('completed');
  expect(fs.readdirSync(path.join(workspace, 'some')).sort()).toEqual(['alpha.txt', 'gamma.txt']);
  expect(fs.readFileSync(path.join(workspace, 'some', 'gamma.txt'), 'utf8')).toBe('GAMMA of 3');
  expect(result.steps.write_some_1_write_some_body).toMatchObject({ status: 'skipped', result: { reason: 'condition_false' } });
}, 60_000);

test('on_false and on_success jump forward as in the Python orchestrator: the steps passed over are skipped, the target and what follows run', async () => {
  const pipeline = compileYaml(`
id: branches
parameters:
  content: { type: string, default: "a reasonably long piece of text" }
steps:
  - id: check_size
    tool: filesystem
    action: write
    condition: "{{ content | length > 10 }}"
    on_false: handle_short
    parameters: { path: "jump/long.txt", content: "long: {{ content }}" }
  - id: handle_long
    tool: filesystem
    action: write
    on_success: summarise
    parameters: { path: "jump/branch.txt", content: "long" }
    dependencies: [check_size]
  - id: handle_short
    tool: filesystem
    action: write
    parameters: { path: "jump/short.txt", content: "short: {{ content }}" }
    dependencies: [handle_long]
  - id: mark_short
    tool: filesystem
    action: write
    parameters: { path: "jump/branch.txt", content: "short" }
    dependencies: [handle_short]
  - id: summarise
    tool: filesystem
    action: read
    parameters: { path: "jump/branch.txt" }
    dependencies: [mark_short]
outputs:
  taken_branch: "{{ summarise.result.content }}"
`);
  const long = await orchestrator.execute(pipeline, {}, { workspace });
  expect(long.status).toBe('completed');
  expect(long.outputs.taken_branch).toBe('long');
  expect(long.steps.handle_short).toMatchObject({ status: 'skipped', result: { reason: 'jumped', by: 'handle_long' } });
  expect(long.steps.mark_short).toMatchObject({ status: 'skipped', result: { reason: 'jumped', by: 'handle_long' } });
  expect(fs.existsSync(path.join(workspace, 'jump', 'short.txt'))).toBe(false);

  const short = await orchestrator.execute(pipeline, { content: 'tiny' }, { workspace });
  expect(short.status).toBe('completed');
  expect(short.outputs.taken_branch).toBe('short');
  expect(short.steps.check_size).toMatchObject({ status: 'skipped', result: { reason: 'condition_false' } });
  expect(short.steps.handle_long).toMatchObject({ status: 'skipped', result: { reason: 'jumped', by: 'check_size' } });
  expect(fs.readFileSync(path.join(workspace, 'jump', 'short.txt'), 'utf8')).toBe('short: tiny');
}, 60_000);
