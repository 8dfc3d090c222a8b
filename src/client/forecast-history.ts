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
 * Per step, the usage of the latest completed runs of `pipelineName` in which it called its model (a cache hit
 * says nothing about cost). Runs with other inputs count too: the forecast says it learned from them.
 */
export function pastStepUsage(orchestrator: Orchestrator, client: Client, pipelineName: string): Promise<Map<string, Usage[]>> {
  // Runs started together share one reading: a hundred concurrent starts ask the server once.
  let reading = inFlight.get(orchestrator);
  if (!reading) inFlight.set(orchestrator, (reading = new Map()));
  const shared = reading.get(pipelineName);
  if (shared) return shared;
  const fresh = readPastStepUsage(orchestrator, client, pipelineName);
  reading.set(pipelineName, fresh);
  const done = (): void => void reading.delete(pipelineName);
  fresh.then(done, done);
  return fresh;
}

const inFlight = new WeakMap<Orchestrator, Map<string, Promise<Map<string, Usage[]>>>>();

async function readPastStepUsage(orchestrator: Orchestrator, client: Client, pipelineName: string): Promise<Map<string, Usage[]>> {
  const history = new Map<string, Usage[]>();
  const runs = await orchestrator.list({ pipeline: pipelineName, status: 'completed', limit: PAST_RUNS });
  for (const run of runs) {
    for (const [id, usage] of await usageOfRun(client, run.run_id)) history.set(id, [...(history.get(id) ?? []), usage]);
  }
  return history;
}

/** A completed run's usage never changes: each is read from its history once per process. */
const RUN_USAGE_CACHE_SIZE = 1000;
const runUsage = new Map<string, Promise<Array<[string, Usage]>>>();

/** The usage of each step of a completed run that called its model (a cache hit says nothing about cost). */
function usageOfRun(client: Client, runId: string): Promise<Array<[string, Usage]>> {
  let usage = runUsage.get(runId);
  if (!usage) {
    usage = client.workflow
      .getHandle(runId)
      .result()
      .then((result: RunResult) =>
        Object.entries(result.steps)
          .filter(([, step]) => step.status === 'completed' && step.cache?.hit !== true && step.usage.input_tokens + step.usage.output_tokens > 0)
          .map(([id, step]): [string, Usage] => [id, step.usage]),
      );
    runUsage.set(runId, usage);
    // A failed read is tried again by the next forecast rather than remembered.
    usage.catch(() => runUsage.delete(runId));
    if (runUsage.size > RUN_USAGE_CACHE_SIZE) runUsage.delete(runUsage.keys().next().value!);
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
