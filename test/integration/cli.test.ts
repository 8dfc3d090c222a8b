// The `orc` command as a user runs it: validate, compile, and run on a real Temporal dev server.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../src/base/run-types';
import { freePort } from '../helpers/ports';
import { orcEnvironment, runOrc, startOrc, waitFor } from '../helpers/cli';

const fixture = (name: string): string => path.join('test', 'fixtures', 'cli', name);
const sharedAddress = (): string => process.env.ORC_TEST_TEMPORAL_ADDRESS!;

describe('orc validate', () => {
  test('prints FILE: ok and exits 0 for every example pipeline', async () => {
    const files = fs.readdirSync('pipelines').filter((file) => file.endsWith('.yaml')).map((file) => path.join('pipelines', file));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const result = await runOrc(['validate', ...files]);
    expect(result.code).toBe(0);
    for (const file of files) expect(result.stdout).toContain(`${file}: ok`);
  });

  test('a key that changes nothing passes, with a note on stderr at its line:column', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orc-note-')), 'checkpoint.yaml');
    fs.writeFileSync(file, 'name: p\nconfig:\n  checkpoint_strategy: adaptive\nsteps:\n  - id: a\n    action: do it\n');
    const result = await runOrc(['validate', file]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`${file}: ok`);
    expect(result.stderr).toContain(`${file}:3:3: NO_EFFECT checkpoint_strategy "adaptive" changes nothing: every step is checkpointed`);
  });

  test('a cycle exits 1 and names each step of it with file:line:column', async () => {
    const file = fixture('cycle.yaml');
    const result = await runOrc(['validate', file]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([
      `${file}:3:9: CYCLE step 'draft' is in a dependency cycle: draft -> review -> edit -> draft`,
      `${file}:5:9: CYCLE step 'edit' is in a dependency cycle: draft -> review -> edit -> draft`,
      `${file}:7:9: CYCLE step 'review' is in a dependency cycle: draft -> review -> edit -> draft`,
    ]);
  });

  test('three different errors are all reported at once', async () => {
    const file = fixture('three-errors.yaml');
    const result = await runOrc(['validate', file]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${file}:6:25: UNKNOWN_REFERENCE template refers to unknown input, step or variable 'topik' (did you mean 'topic'?)`);
    expect(lines[1]).toMatch(new RegExp(`^${file}:7:14: BAD_DURATION bad duration 'soon'`));
    expect(lines[2]).toBe(`${file}:10:18: UNKNOWN_DEPENDENCY step 'write' depends on unknown step 'outlien' (did you mean 'outline'?)`);
  });

  test('a usage error exits 2', async () => {
    expect((await runOrc(['validate'])).code).toBe(2);
    expect((await runOrc(['frobnicate'])).code).toBe(2);
    expect((await runOrc(['run', 'pipelines/summarize.yaml', '-i', 'no-equals-sign'])).code).toBe(2);
  });
});

describe('orc compile', () => {
  test('--json prints the plan: steps with dependencies, levels, AUTO tags with their schemas', async () => {
    const result = await runOrc(['compile', 'pipelines/pros_cons.yaml', '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { name: string; steps: Array<{ id: string; depends_on: string[]; action_kind: string }>; levels: string[][] };
    expect(plan.name).toBe('pros_cons');
    expect(plan.levels).toEqual([['framing'], ['advantages', 'disadvantages'], ['verdict']]);
    expect(plan.steps.find((step) => step.id === 'verdict')).toEqual({ id: 'verdict', depends_on: ['advantages', 'disadvantages'], action_kind: 'prompt' });

    const withTag = JSON.parse((await runOrc(['compile', 'pipelines/support_reply.yaml', '--json'])).stdout) as { auto_tags: unknown[] };
    expect(withTag.auto_tags).toEqual([
      { path: 'steps.reply.parameters.tone', description: 'Choose the tone of the reply', schema: { type: 'string', enum: ['friendly', 'formal'] } },
    ]);
  });

  test('--resolve decides, with the local model, the AUTO tags a run would decide before its first step', async () => {
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-cli-'));
    const result = await runOrc(
      ['compile', '--resolve', 'test/fixtures/compiler/seeds/example-pipeline.yaml', '-i', 'topic=quantum computing', '--json'],
      orcEnvironment({ ORC_DATA_DIR: dataDirectory }),
    );
    fs.rmSync(dataDirectory, { recursive: true, force: true });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { auto_tags: Array<{ path: string; value?: unknown; schema: { enum?: string[] } }> };
    const byPath = new Map(plan.auto_tags.map((tag) => [tag.path, tag]));
    const format = byPath.get('steps.topic_analysis.parameters.output_format')!;
    expect(format.schema.enum).toContain(format.value);
    expect(typeof byPath.get('steps.topic_analysis.parameters.analysis_type')!.value).toBe('string');
    // research_planning depends on topic_analysis: its tags wait for that result, at run time.
    expect(byPath.get('steps.research_planning.parameters.research_depth')).not.toHaveProperty('value');
  });

  test('an invalid pipeline exits 1 with its errors', async () => {
    const result = await runOrc(['compile', fixture('cycle.yaml'), '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CYCLE');
  });
});

describe('orc run', () => {
  test('without TEMPORAL_ADDRESS it brings its own dev server and worker; --dry-run --json prints only the result', async () => {
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-cli-'));
    const port = await freePort();
    const result = await runOrc(
      ['run', 'pipelines/summarize.yaml', '-i', 'text=Cats sleep all day. {{ not_a_template }}', '--dry-run', '--json', '--id', 'cli-dry-run'],
      orcEnvironment({ ORC_DATA_DIR: dataDirectory, ORC_DEV_SERVER_PORT: String(port) }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout) as RunResult;
    expect(run.run_id).toBe('cli-dry-run');
    expect(run.status).toBe('completed');
    expect(run.outputs.summary).toBe('Cats sleep all day. {{ not_a_template }}\n\nSummarise the text above in one sentence.');
    expect(run.outputs.title).toContain('Write a title for the text above');
    expect(run.steps.summary).toMatchObject({ status: 'completed', model: 'echo', attempts: 1, error: null });
    // The dev server keeps its runs in the data folder's SQLite file, so they stay inspectable in the UI.
    expect(fs.existsSync(path.join(dataDirectory, 'temporal.db'))).toBe(true);
    fs.rmSync(dataDirectory, { recursive: true, force: true });
  });

  test('without --json it shows step progress and the Web UI address, then the outputs', async () => {
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-cli-'));
    const port = await freePort();
    const result = await runOrc(
      ['run', 'pipelines/pros_cons.yaml', '-i', 'topic=tea', '--dry-run'],
      orcEnvironment({ ORC_DATA_DIR: dataDirectory, ORC_DEV_SERVER_PORT: String(port) }),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Temporal Web UI: http://localhost:${port + 1000}/namespaces/default/workflows/`);
    for (const step of ['framing', 'advantages', 'disadvantages', 'verdict']) expect(result.stderr).toMatch(new RegExp(`✓ ${step} completed`));
    expect(result.stdout).toContain('verdict:');
    expect(result.stdout).toContain('give a balanced verdict');
    fs.rmSync(dataDirectory, { recursive: true, force: true });
  });

  test('a missing or mistyped input is reported with file:line:column before anything runs', async () => {
    const missing = await runOrc(['run', 'pipelines/summarize.yaml', '--dry-run']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).not.toContain('Starting');
    expect(missing.stderr).toContain("pipelines/summarize.yaml:8:3: INPUT_MISSING required input 'text' (string) is missing");
    const mistyped = await runOrc(['run', 'test/fixtures/cli/typed-inputs.yaml', '-i', 'count=many', '--dry-run']);
    expect(mistyped.code).toBe(1);
    expect(mistyped.stderr).toMatch(/typed-inputs\.yaml:3:3: INPUT_TYPE input 'count' must be an integer, got "many"/);
  });

  test('with TEMPORAL_ADDRESS it only starts and follows the run: it says when no worker polls, and `orc worker` does the work', async () => {
    const taskQueue = `cli-remote-${Date.now()}`;
    const environment = orcEnvironment({ TEMPORAL_ADDRESS: sharedAddress(), ORC_TASK_QUEUE: taskQueue });
    const run = startOrc(['run', 'pipelines/summarize.yaml', '-i', 'text=hello', '--dry-run', '--json'], environment);
    await waitFor(() => run.output.stderr.includes('no worker is polling'), 30_000, 'the no-worker message');
    expect(run.output.stderr).toContain(`no worker is polling task queue '${taskQueue}'`);
    const worker = startOrc(['worker'], environment);
    try {
      const result = await run.done;
      expect(result.code).toBe(0);
      const parsed = JSON.parse(result.stdout) as RunResult;
      expect(parsed.status).toBe('completed');
    } finally {
      worker.kill('SIGINT');
      await worker.done;
    }
  });

  test('runs an example pipeline with the real local model and prints what it wrote', async () => {
    const taskQueue = `cli-local-${Date.now()}`;
    const environment = orcEnvironment({ TEMPORAL_ADDRESS: sharedAddress(), ORC_TASK_QUEUE: taskQueue });
    const worker = startOrc(['worker'], environment);
    try {
      const result = await runOrc(['run', 'pipelines/summarize.yaml', '--input-file', 'pipelines/inputs/summarize.json', '--json'], environment);
      expect(result.code).toBe(0);
      const run = JSON.parse(result.stdout) as RunResult;
      expect(run.status).toBe('completed');
      for (const step of ['summary', 'keywords', 'title']) {
        expect(run.steps[step]!.model).toBe('local:smollm2-135m');
        expect(run.steps[step]!.usage.output_tokens).toBeGreaterThan(0);
      }
      const summary = String(run.outputs.summary);
      expect(summary.length).toBeGreaterThan(10);
      // The model wrote it: it is neither the prompt echoed back nor empty.
      expect(summary).not.toContain('Summarise the text above');
      expect(run.usage.output_tokens).toBeGreaterThan(0);
    } finally {
      worker.kill('SIGINT');
      await worker.done;
    }
  });
});
