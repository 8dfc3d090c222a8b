// A run's cost forecast (spec section 15): what `orc compile --estimate` prints and a run's result carries.

/** Low / expected / high of one quantity. */
export interface ForecastRange {
  low: number;
  expected: number;
  high: number;
}

export interface StepForecast {
  id: string;
  /** How many model calls the step makes (replicates x items x re-asks, plus AUTO decisions and judges). */
  calls: ForecastRange;
  input_tokens: ForecastRange;
  output_tokens: ForecastRange;
  cost_usd: ForecastRange;
  /** Where the figures came from: `rendered prompt`, `past runs (n)`, `step cache`, `not a model call`. */
  basis: string;
}

export interface RunForecast {
  steps: StepForecast[];
  input_tokens: ForecastRange;
  output_tokens: ForecastRange;
  tokens: ForecastRange;
  cost_usd: ForecastRange;
  /** Every assumption the forecast made, in words. */
  assumptions: string[];
}
