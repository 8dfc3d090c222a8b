// The worker's own Prometheus metrics about model calls and the step cache (`orc worker --metrics-port`).
import { Context } from '@temporalio/activity';
import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { ModelMiddleware } from '../models/middleware/wrap-model';
import type { Usage } from '../base/run-types';

/**
 * The worker runtime's meter (what `--metrics-port` serves), inside an activity; none elsewhere (`orc compile
 * --resolve` calls models outside any worker). Its labels are orc's own, the same from every activity.
 */
function meter(): MetricMeter {
  try {
    Context.current();
  } catch {
    return noopMetricMeter;
  }
  return Runtime.instance().metricMeter;
}

/** Cost so far per `provider:model` in this process: Temporal's counters take whole numbers, so cost is a gauge. */
const costTotals = new Map<string, number>();

/** A step cache lookup (spec section 9): `hit` when an entry answered, `miss` when the call had to be made. */
export function recordCacheLookup(result: 'hit' | 'miss'): void {
  meter().createCounter('orc_cache_lookups_total', undefined, 'Step cache lookups, by result').add(1, { result });
}

/** Tokens and cost of one model call, by provider and model (`openai`, `gpt-4o-mini`). */
export function recordModelUsage(modelId: string, usage: Usage): void {
  const separator = modelId.indexOf(':');
  const provider = separator === -1 ? modelId : modelId.slice(0, separator);
  const model = separator === -1 ? modelId : modelId.slice(separator + 1);
  const tokens = meter().createCounter('orc_model_tokens_total', undefined, 'Tokens sent to and received from models');
  if (usage.input_tokens > 0) tokens.add(usage.input_tokens, { provider, model, direction: 'input' });
  if (usage.output_tokens > 0) tokens.add(usage.output_tokens, { provider, model, direction: 'output' });
  if (usage.cost_usd > 0) {
    const total = (costTotals.get(modelId) ?? 0) + usage.cost_usd;
    costTotals.set(modelId, total);
    meter().createGauge('orc_model_cost_usd_total', 'float', 'USD', 'What model calls of this worker process have cost').set(total, { provider, model });
  }
}

/** Counts each call's usage in the metrics above. */
export const modelMetrics: ModelMiddleware = {
  async generate(request, next, model) {
    const response = await next(request);
    recordModelUsage(model.id, response.usage);
    return response;
  },
};
