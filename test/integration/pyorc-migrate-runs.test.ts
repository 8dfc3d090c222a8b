// `orc migrate` keeps what a pipeline does: a sample of the Python orchestrator's own files (read from
// ORC_PYORC_CORPUS, never copied here) runs as written and as migrated, each through a real dry run on the shared
// dev server in its own workspace, and the two runs end alike: the same status, the same step records (status
// and result) and the same files written with the same content.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orchestrator } from '../../src/client';
import { compilePipeline, type CompiledPipeline } from '../../src/compiler';
import { migratePyorc } from '../../src/compiler/pyorc/migrate';
import type { RunResult } from '../../src/base/run-types';
import { sharedServerOrchestrator } from '../helpers/orchestrator';

const repoRoot = path.resolve(__dirname, '..', '..');
const corpus = process.env.ORC_PYORC_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'pyorc');

/** LLM steps, the file tool and control flow: conditions, a while loop, for_each blocks, on_error, AUTO tags. */
const SAMPLE = ['examples/control_flow_advanced.yaml', 'examples/basic/conditional_logic.yaml', 'examples/control_flow_while_loop.yaml', 'examples/simple_error_handling.yaml', 'examples/auto_tags_demo.yaml'];

/** The files of the sample that write files (the others only call the model). */
const WRITES_FILES = new Set(['examples/control_flow_advanced.yaml', 'examples/basic/conditional_logic.yaml', 'examples/control_flow_while_loop.yaml']);

let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(`pyorc-migrate-${process.pid}`);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

/** A value for each input without a default, as a user gives on the command line. */
function inputsFor(pipeline: CompiledPipeline): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(pipeline.inputs)) {
    if (spec.default !== undefined) continue;
    const samples: Record<string, unknown> = { integer: 3, number: 1.5, boolean: true, array: ['alpha', 'beta'], object: { name: 'alpha' } };
    inputs[name] = samples[spec.type ?? 'string'] ?? `sample ${name}`;
  }
  return inputs;
}

/** Every file under `directory`, by its path inside it, with its text. */
function filesIn(directory: string): Record<string, string> {
  const found: Record<string, string> = {};
  const visit = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) visit(full);
      else found[path.relative(directory, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  visit(directory);
  return found;
}

/** The time a run started (`execution.timestamp`, `now()`) differs between two runs; nothing else may. */
function withoutTimes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')) as unknown;
}

/** What a user compares of two runs: status, each step's status and result (run ids and timestamps differ). */
function outcome(result: RunResult): unknown {
  const steps = Object.fromEntries(Object.entries(result.steps).map(([id, step]) => [id, { status: step.status, result: step.result }]));
  return withoutTimes({ status: result.status, steps, outputs: result.outputs });
}

async function runIn(pipeline: CompiledPipeline, inputs: Record<string, unknown>): Promise<{ result: RunResult; files: Record<string, string> }> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-migrate-run-'));
  try {
    const result = await orchestrator.execute(pipeline, inputs, { dryRun: true, workspace });
    return { result, files: filesIn(workspace) };
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

test.each(SAMPLE)('%s runs alike as written and as migrated', async (file) => {
  const text = fs.readFileSync(path.join(corpus, file), 'utf8');
  const original = compilePipeline(text, { file });
  if (!original.ok) throw new Error(`${file} does not compile: ${original.diagnostics.map((each) => each.message).join('; ')}`);
  const migrated = migratePyorc(text, file);
  if (!migrated.ok) throw new Error(`${file}: migrate refused it`);
  const native = compilePipeline(migrated.text, { file, dialect: 'native' });
  if (!native.ok) throw new Error(`${file} migrated does not compile: ${native.diagnostics.map((each) => `${each.line}:${each.column} ${each.message}`).join('; ')}`);
  const inputs = inputsFor(original.pipeline);
  const asWritten = await runIn(original.pipeline, inputs);
  const asMigrated = await runIn(native.pipeline, inputs);
  expect(asWritten.result.status).toBe('completed');
  expect(outcome(asMigrated.result)).toEqual(outcome(asWritten.result));
  if (WRITES_FILES.has(file)) expect(Object.keys(asWritten.files).length).toBeGreaterThan(0);
  expect(withoutTimes(asMigrated.files)).toEqual(withoutTimes(asWritten.files));
}, 120_000);
