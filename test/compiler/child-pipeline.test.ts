// A child pipeline (spec: `action: pipeline`, the pipeline-executor tool): where its file is found, compiled, and
// its inputs resolved, as the activity that loads it for a run and the forecast at the run's start both find it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPipelineActivities } from '../../src/activities/pipelines';
import { childPipelineFile, compileChildPipeline, compilePipelineFile } from '../../src/compiler';

const CHILD = 'name: child\ninputs: { topic: string }\nsteps:\n  - id: outline\n    action: "Outline {{ inputs.topic }}"\n';

let folder: string;
beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-child-pipeline-'));
  fs.mkdirSync(path.join(folder, 'pipelines'));
  fs.mkdirSync(path.join(folder, 'workspace'));
});
afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

test('a relative file is found beside its parent, else in the workspace; an absolute one or inline YAML is taken as it is', () => {
  const parent = path.join(folder, 'pipelines', 'parent.yaml');
  const workspace = path.join(folder, 'workspace');
  expect(childPipelineFile({ file: 'child.yaml', relativeTo: parent })).toBe(path.join(folder, 'pipelines', 'child.yaml'));
  expect(childPipelineFile({ file: 'child.yaml', relativeTo: null })).toBe('child.yaml');
  // Not beside the parent: looked for in the workspace, and named beside the parent when it is in neither.
  expect(childPipelineFile({ file: 'child.yaml', relativeTo: parent, workspace })).toBe(path.join(folder, 'pipelines', 'child.yaml'));
  fs.writeFileSync(path.join(workspace, 'child.yaml'), CHILD);
  expect(childPipelineFile({ file: 'child.yaml', relativeTo: parent, workspace })).toBe(path.join(workspace, 'child.yaml'));
  fs.writeFileSync(path.join(folder, 'pipelines', 'child.yaml'), CHILD);
  expect(childPipelineFile({ file: 'child.yaml', relativeTo: parent, workspace })).toBe(path.join(folder, 'pipelines', 'child.yaml'));
  expect(childPipelineFile({ file: '/elsewhere/child.yaml', relativeTo: parent })).toBe('/elsewhere/child.yaml');
  expect(childPipelineFile({ file: 'step.inline.yaml', relativeTo: parent, yaml: CHILD })).toBe('step.inline.yaml');
});

test('the child is compiled and its inputs resolved; a compile error and an input error are told apart', () => {
  const parent = path.join(folder, 'pipelines', 'parent.yaml');
  fs.writeFileSync(path.join(folder, 'pipelines', 'child.yaml'), CHILD);
  const child = compileChildPipeline({ file: 'child.yaml', relativeTo: parent }, { topic: 'tides' });
  expect(child).toMatchObject({ ok: true, file: path.join(folder, 'pipelines', 'child.yaml'), pipeline: { name: 'child' }, inputs: { topic: 'tides' } });

  const inline = compileChildPipeline({ file: 'step.inline.yaml', relativeTo: parent, yaml: CHILD }, { topic: 'tides' });
  expect(inline).toMatchObject({ ok: true, file: 'step.inline.yaml', pipeline: { name: 'child', sourceFile: 'step.inline.yaml' } });

  const missing = compileChildPipeline({ file: 'absent.yaml', relativeTo: parent }, {});
  expect(missing).toMatchObject({ ok: false, stage: 'compile', diagnostics: [expect.objectContaining({ code: 'FILE_UNREADABLE' })] });

  const badInputs = compileChildPipeline({ file: 'child.yaml', relativeTo: parent }, { subject: 'tides' });
  expect(badInputs).toMatchObject({ ok: false, stage: 'inputs', pipeline: { name: 'child' }, diagnostics: [expect.objectContaining({ code: 'INPUT_MISSING' })] });
});

test('the file is compiled by the compile function given (a cache may stand in front of it)', () => {
  const parent = path.join(folder, 'pipelines', 'parent.yaml');
  fs.writeFileSync(path.join(folder, 'pipelines', 'child.yaml'), CHILD);
  const read: string[] = [];
  const child = compileChildPipeline({ file: 'child.yaml', relativeTo: parent }, { topic: 'tides' }, (file) => (read.push(file), compilePipelineFile(file)));
  expect(child.ok).toBe(true);
  expect(read).toEqual([path.join(folder, 'pipelines', 'child.yaml')]);
});

test('the load activity reports an invalid child and wrong inputs as before, and strips source positions', async () => {
  const { loadChildPipeline } = createPipelineActivities();
  const parent = path.join(folder, 'pipelines', 'parent.yaml');
  const childFile = path.join(folder, 'pipelines', 'child.yaml');
  fs.writeFileSync(childFile, CHILD);
  const loaded = await loadChildPipeline({ file: 'child.yaml', relativeTo: parent, inputs: { topic: 'tides' } });
  expect(loaded.inputs).toEqual({ topic: 'tides' });
  expect(loaded.pipeline.inputs.topic!.declaredAt).toBeUndefined();
  await expect(loadChildPipeline({ file: 'child.yaml', relativeTo: parent, inputs: { subject: 'tides' } })).rejects.toThrow(
    new RegExp(`^child pipeline ${childFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*unknown input 'subject'`),
  );
  fs.writeFileSync(childFile, 'name: child\nsteps: 3\n');
  await expect(loadChildPipeline({ file: 'child.yaml', relativeTo: parent, inputs: {} })).rejects.toThrow(/^child pipeline .*child\.yaml is invalid:\n/);
});
