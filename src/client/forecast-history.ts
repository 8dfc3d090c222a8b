// What past runs of a pipeline used, step by step: what `orc compile --estimate` and a run's forecast learn from.
import type { Client } from '@temporalio/client';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompiledPipeline, CompiledStep } from '../base/compiled-pipeline';
import { compileChildPipeline, compilePipelineFile, type CompileResult } from '../compiler';
import { containsTemplate } from '../compiler/templates';
import { isPlainObject } from '../compiler/values';
import type { RunForecast } from '../base/forecast';
import type { RunResult, Usage } from '../base/run-types';
import { loadModelCatalog } from '../models/catalog';
import { forecastRun } from './forecast';
import type { Orchestrator } from './orchestrator';

/** Past runs read per forecast: enough for a median, few enough that a run's start stays quick. */
const PAST_RUNS = 3;

/**
 * How long a reading of a pipeline's past runs serves this process's later starts of it. Runs this process saw
 * complete are added to the reading at once (`rememberCompletedRun`); a run another process completed counts from
 * the next reading. Listing runs at every start was a visibility query and a page of decoded memos per run: a
 * tenth of the worker process's CPU on a 100-step fan-out (issue 24).
 */
export const PAST_RUNS_READING_MS = 30_000;

/** The latest completed runs of a pipeline, newest first, as last read (or as this process saw them end). */
interface PastRuns {
  readAt: number;
  runIds: Promise<string[]>;
}

const pastRuns = new WeakMap<Orchestrator, Map<string, PastRuns>>();

function pastRunsOf(orchestrator: Orchestrator): Map<string, PastRuns> {
  let readings = pastRuns.get(orchestrator);
  if (!readings) pastRuns.set(orchestrator, (readings = new Map()));
  return readings;
}

/** The ids of the latest completed runs of `pipelineName`: listed at most every PAST_RUNS_READING_MS, shared by starts. */
function latestRunIds(orchestrator: Orchestrator, pipelineName: string, now: number): Promise<string[]> {
  const readings = pastRunsOf(orchestrator);
  const reading = readings.get(pipelineName);
  if (reading && now - reading.readAt < PAST_RUNS_READING_MS) return reading.runIds;
  const runIds = orchestrator.list({ pipeline: pipelineName, status: 'completed', limit: PAST_RUNS }).then((runs) => runs.map((run) => run.run_id));
  readings.set(pipelineName, { readAt: now, runIds });
  // A failed listing is tried again by the next start rather than remembered.
  runIds.catch(() => readings.get(pipelineName)?.runIds === runIds && readings.delete(pipelineName));
  return runIds;
}

/**
 * Per step, the usage of the latest completed runs of `pipelineName` in which it called its model (a cache hit
 * says nothing about cost). Runs with other inputs count too: the forecast says it learned from them.
 */
export async function pastStepUsage(orchestrator: Orchestrator, client: Client, pipelineName: string, now = Date.now()): Promise<Map<string, Usage[]>> {
  const history = new Map<string, Usage[]>();
  for (const runId of await latestRunIds(orchestrator, pipelineName, now)) {
    for (const [id, usage] of await usageOfRun(client, runId)) history.set(id, [...(history.get(id) ?? []), usage]);
  }
  return history;
}

/** A run this process followed to its end: the next forecast of its pipeline learns from it without listing runs. */
export function rememberCompletedRun(orchestrator: Orchestrator, result: RunResult): void {
  if (result.status !== 'completed') return;
  rememberRunUsage(result.run_id, Promise.resolve(stepUsageOf(result)));
  const reading = pastRunsOf(orchestrator).get(result.pipeline);
  if (!reading) return;
  const earlier = reading.runIds;
  reading.runIds = earlier.then((ids) => [result.run_id, ...ids.filter((id) => id !== result.run_id)].slice(0, PAST_RUNS));
  // A listing that failed stays failed (and is read again), as before this run ended.
  reading.runIds.catch(() => undefined);
}

/** A completed run's usage never changes: each is read from its history once per process. */
const RUN_USAGE_CACHE_SIZE = 1000;
const runUsage = new Map<string, Promise<Array<[string, Usage]>>>();

/** The usage of each step of a completed run that called its model (a cache hit says nothing about cost). */
function stepUsageOf(result: RunResult): Array<[string, Usage]> {
  return Object.entries(result.steps)
    .filter(([, step]) => step.status === 'completed' && step.cache?.hit !== true && step.usage.input_tokens + step.usage.output_tokens > 0)
    .map(([id, step]): [string, Usage] => [id, step.usage]);
}

function rememberRunUsage(runId: string, usage: Promise<Array<[string, Usage]>>): void {
  runUsage.delete(runId);
  runUsage.set(runId, usage);
  // A failed read is tried again by the next forecast rather than remembered.
  usage.catch(() => runUsage.get(runId) === usage && runUsage.delete(runId));
  if (runUsage.size > RUN_USAGE_CACHE_SIZE) runUsage.delete(runUsage.keys().next().value!);
}

function usageOfRun(client: Client, runId: string): Promise<Array<[string, Usage]>> {
  let usage = runUsage.get(runId);
  if (!usage) {
    usage = client.workflow
      .getHandle(runId)
      .result()
      .then((result: RunResult) => stepUsageOf(result));
    rememberRunUsage(runId, usage);
  }
  return usage;
}

/** The forecast a run carries (spec section 15); none when the model catalog cannot be read. */
export async function forecastFor(pipeline: CompiledPipeline, inputs: Record<string, unknown>, history: Map<string, Usage[]>): Promise<RunForecast | undefined> {
  let catalog;
  try {
    catalog = loadModelCatalog();
  } catch {
    return undefined;
  }
  return forecastRun(pipeline, inputs, { priceOf: (model, usage) => catalog.priceOf(model, usage), history, childPipeline: childPipelineOf });
}

/** A string that holds a template: known only at run time. */
const isTemplated = (value: unknown): boolean => typeof value === 'string' && containsTemplate(value);

/**
 * The pipeline a `pipeline` step (`parameters.file`) or a pipeline-executor step (`parameters.pipeline`, a file or
 * the YAML itself) runs, compiled as the run will compile it: when the file is written as it is, next to its parent.
 */
export function childPipelineOf(step: CompiledStep, parent: CompiledPipeline): { pipeline: CompiledPipeline; inputs: Record<string, unknown> } | undefined {
  const source = step.parameters.file ?? step.parameters.pipeline;
  if (typeof source !== 'string' || source.trim() === '' || isTemplated(source)) return undefined;
  const inline = source.includes('\n');
  // Inputs written as values count; one that is a template is known only at run time, and the child's default stands.
  const given = isPlainObject(step.parameters.inputs) ? step.parameters.inputs : {};
  const literal = Object.fromEntries(Object.entries(given).filter(([, value]) => !isTemplated(value)));
  const child = compileChildPipeline(
    inline ? { file: `${step.id}.inline.yaml`, relativeTo: null, yaml: source } : { file: source, relativeTo: parent.sourceFile },
    literal,
    compileChildFile,
  );
  if (child.ok) return { pipeline: child.pipeline, inputs: child.inputs };
  return child.stage === 'inputs' ? { pipeline: child.pipeline, inputs: literal } : undefined;
}

/** Child pipeline files compiled by earlier forecasts, newest last: a run's start compiles an unchanged child once. */
const CHILD_CACHE_SIZE = 64;
const compiledChildren = new Map<string, { file: string; mtimeMs: number; size: number; ino: number; result: CompileResult }>();

/**
 * A child pipeline file compiled, or its compilation of before while the file is unchanged (its absolute path,
 * modification time, size and inode are the same): every run start forecasts, and most children never change.
 */
export function compileChildFile(file: string): CompileResult {
  const absolute = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    compiledChildren.delete(absolute);
    return compilePipelineFile(file);
  }
  const cached = compiledChildren.get(absolute);
  // The file as named too: the compiled pipeline records it (its `sourceFile`), and its own children are found from it.
  if (cached && cached.file === file && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size && cached.ino === stat.ino) return cached.result;
  const result = compilePipelineFile(file);
  compiledChildren.delete(absolute);
  compiledChildren.set(absolute, { file, mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino, result });
  if (compiledChildren.size > CHILD_CACHE_SIZE) compiledChildren.delete(compiledChildren.keys().next().value!);
  return result;
}
