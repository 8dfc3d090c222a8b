// What past runs of a pipeline used, step by step: what `orc compile --estimate` and a run's forecast learn from.
import type { Client } from '@temporalio/client';
import type { CompiledPipeline } from '../base/compiled-pipeline';
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
export async function pastStepUsage(orchestrator: Orchestrator, client: Client, pipelineName: string): Promise<Map<string, Usage[]>> {
  const history = new Map<string, Usage[]>();
  const runs = await orchestrator.list({ pipeline: pipelineName, status: 'completed', limit: PAST_RUNS });
  for (const run of runs) {
    const result = (await client.workflow.getHandle(run.run_id).result()) as RunResult;
    for (const [id, step] of Object.entries(result.steps)) {
      if (step.status !== 'completed' || step.cache?.hit === true || step.usage.input_tokens + step.usage.output_tokens === 0) continue;
      history.set(id, [...(history.get(id) ?? []), step.usage]);
    }
  }
  return history;
}

/** The forecast a run carries (spec section 15); none when the model catalog cannot be read. */
export async function forecastFor(pipeline: CompiledPipeline, inputs: Record<string, unknown>, history: Map<string, Usage[]>): Promise<RunForecast | undefined> {
  let catalog;
  try {
    catalog = loadModelCatalog();
  } catch {
    return undefined;
  }
  return forecastRun(pipeline, inputs, { priceOf: (model, usage) => catalog.priceOf(model, usage), history });
}
