// What a model call costs at list price; no I/O, so selection (and workflow code) can use it.
import type { Usage } from '../base/run-types';

/** USD per 1,000 tokens, as models.yaml writes it. */
export interface PricePer1k {
  input_per_1k: number;
  output_per_1k: number;
}

export type UsageForPricing = Pick<Usage, 'input_tokens' | 'output_tokens'>;

/** Cost in USD of `usage` at `pricing`, rounded to 1e-10 so sums of tiny calls do not show float noise. */
export function costOf(pricing: PricePer1k, usage: UsageForPricing): number {
  const cost = (usage.input_tokens / 1000) * pricing.input_per_1k + (usage.output_tokens / 1000) * pricing.output_per_1k;
  return Math.round(cost * 1e10) / 1e10;
}
