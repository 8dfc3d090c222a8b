// Replays the committed histories of real runs (test/histories, made by scripts/record-histories.js) against
// the current workflow code: any non-determinism fails the suite.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

const historiesDirectory = path.join(__dirname, '..', 'histories');
const names = fs.readdirSync(historiesDirectory).filter((file) => file.endsWith('.json')).sort();

function load(name: string) {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(historiesDirectory, name), 'utf8')));
}

async function replayAll(workflowsPath: string): Promise<Array<{ name: string; error: string | undefined }>> {
  const histories = names.map((name) => ({ workflowId: name, history: load(name) }));
  const results: Array<{ name: string; error: string | undefined }> = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath, replayName: 'orc-replay', sinks: runMetricsSinks() }, histories)) {
    results.push({ name: result.workflowId, error: result.error ? `${result.error.name}: ${result.error.message}` : undefined });
  }
  return results;
}

test('the recorded histories cover a pause/resume, an approval, a for_each, a failure with a handler, model routing, the step-metadata patches and loops', () => {
  expect(names).toEqual(
    expect.arrayContaining([
      'approval.json',
      'failure_handler.json',
      'for_each.json',
      'paused_resumed.json',
      'summarize.json',
      'pros_cons.json',
      'support_reply.json',
      'model_routing.json',
      'step_kinds.json',
      'lean_steps.json',
      'all_changes.json',
      'loops.json',
    ]),
  );
  const events = (name: string): string => JSON.stringify(load(name).events);
  expect(events('paused_resumed.json')).toContain('"signalName":"pause"');
  expect(events('approval.json')).toContain('"updateId"');
  // Recorded after the model-routing patch: requirements selected by a local activity, calls on the provider's queue.
  expect(events('model_routing.json')).toContain('"name":"orc-pipelines.provider.echo"');
  expect(events('model_routing.json')).toContain('"markerName":"core_local_activity"');
  // Recorded after step-metadata, render-step-model and for-each-fallbacks: labelled activities, Orc* search
  // attributes upserted, a templated model rendered, for_each items moved to their fallback model.
  const patches = (name: string): string[] =>
    load(name)
      .events!.flatMap((event) => event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [])
      .map((payload) => (JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { id: string }).id);
  expect(patches('step_kinds.json')).toEqual(expect.arrayContaining(['step-metadata', 'render-step-model', 'for-each-fallbacks']));
  expect(events('step_kinds.json')).toContain('"OrcPipeline"');
  expect(events('step_kinds.json')).toContain('"userMetadata"');
  // Recorded after lean-step-calls: its steps reach their activities through fewer promises.
  expect(patches('lean_steps.json')).toContain('lean-step-calls');
  expect(events('lean_steps.json')).toContain('"activityType":{"name":"resolveAutoTags"}');
  // Recorded after all-of-2026-12: that one marker, and none of the five it stands for.
  expect(patches('all_changes.json')).toEqual(['all-of-2026-12']);
  expect(events('all_changes.json')).toContain('"OrcPipeline"');
  // Recorded after loops over a block, when_skips and on_error: each iteration's steps are labelled activities.
  const labels = (name: string): string[] =>
    load(name)
      .events!.flatMap((event) => (event.activityTaskScheduledEventAttributes && event.userMetadata?.summary?.data ? [event.userMetadata.summary.data] : []))
      .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as string);
  expect(labels('loops.json')).toEqual(expect.arrayContaining(['each_1_review · echo', 'each_1_fix · echo', 'grow · iteration 2 · while', 'gate · when']));
});

test('every recorded history replays against the current workflow code', async () => {
  const results = await replayAll(require.resolve('../../src/workflows'));
  expect(results).toEqual(names.map((name) => ({ name, error: undefined })));
}, 120_000);

test('a workflow change made without patched() is caught as non-determinism', async () => {
  const results = await replayAll(require.resolve('../fixtures/workflows/unpatched-change'));
  expect(results.length).toBe(names.length);
  for (const result of results) expect(result.error).toMatch(/DeterminismViolationError|[Nn]ondeterminism/);
}, 120_000);
