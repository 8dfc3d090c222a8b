// `orc compile FILE --estimate` (spec section 15): the forecast of a run with the given inputs, learned from past runs
// when a Temporal server with some is reachable.
import { formatDiagnostic, resolveRunInputs, type CompiledPipeline } from '../../compiler';
import type { Usage } from '../../base/run-types';
import { readSettings } from '../../base/settings';
import { checkReachable } from '../../base/temporal-unreachable-error';
import { defaultDevServerPort } from '../../worker/dev-server';
import { EXIT_FAILED, ExitCode } from '../exit-code';
import { formatForecast } from '../forecast';
import { forecastFor, pastStepUsage } from '../forecast-history';
import { Orchestrator } from '../orchestrator';

/** Past runs' usage from the server orc would use; none (and no wait) when no server answers there. */
async function reachableHistory(pipelineName: string): Promise<{ history: Map<string, Usage[]>; source: string | null }> {
  const address = readSettings().temporalAddress ?? `127.0.0.1:${defaultDevServerPort()}`;
  try {
    await checkReachable(address, 'TEMPORAL_ADDRESS');
  } catch {
    return { history: new Map(), source: null };
  }
  const orchestrator = new Orchestrator({ address, worker: false });
  try {
    const client = await orchestrator.connect();
    return { history: await pastStepUsage(orchestrator, client, pipelineName), source: address };
  } catch {
    return { history: new Map(), source: null };
  } finally {
    await orchestrator.close();
  }
}

export async function printEstimate(file: string, pipeline: CompiledPipeline, rawInputs: Record<string, unknown>, json: boolean): Promise<void> {
  // Inputs not given are fine here: their prompts are sized without them, and the forecast says so.
  const given = Object.fromEntries(Object.entries(rawInputs).filter(([name]) => name in pipeline.inputs));
  const resolution = resolveRunInputs({ ...pipeline, inputs: Object.fromEntries(Object.entries(pipeline.inputs).map(([name, spec]) => [name, { ...spec, required: false }])) }, given, { coerceStrings: true });
  if (!resolution.ok) {
    for (const diagnostic of resolution.diagnostics) process.stderr.write(`${formatDiagnostic(file, diagnostic)}\n`);
    throw new ExitCode(EXIT_FAILED);
  }
  const { history, source } = await reachableHistory(pipeline.name);
  const forecast = await forecastFor(pipeline, resolution.values, history);
  if (!forecast) {
    process.stderr.write('orc: models.yaml cannot be read, so there are no prices to forecast with\n');
    throw new ExitCode(EXIT_FAILED);
  }
  const missing = Object.keys(pipeline.inputs).filter((name) => resolution.values[name] === undefined);
  if (missing.length > 0) forecast.assumptions.unshift(`inputs not given (${missing.join(', ')}): their text is not counted`);
  if (source !== null && history.size > 0) forecast.assumptions.unshift(`learned from past runs of ${pipeline.name} on ${source}`);
  process.stdout.write(json ? `${JSON.stringify({ name: pipeline.name, forecast }, null, 2)}\n` : formatForecast(forecast));
}
