// The cost forecast of `orc compile --estimate` (spec section 15): low / expected / high tokens and USD per step and
// for the run, from prompts rendered with the known inputs, the steps' max_tokens, and what past runs recorded.
import { systemPrompt } from '../activities/generate';
import type { CompiledPipeline, CompiledStep } from '../base/compiled-pipeline';
import type { ExpectCheck } from '../base/expect-checks';
import type { ForecastRange, RunForecast, StepForecast } from '../base/forecast';
import type { Usage } from '../base/run-types';

/** About 4.2 characters a token (measured on the local model's tokenizer with English prompts), plus each message's framing. */
const CHARACTERS_PER_TOKEN = 4.2;
const TOKENS_PER_MESSAGE = 6;
/** What a model writes when the step gives no max_tokens: the local server's default, and the structured cap. */
const DEFAULT_MAX_TOKENS = 256;
const STRUCTURED_MAX_TOKENS = 600;
/** Share of max_tokens a free-text answer uses (the embedded model tends to write until it is stopped). */
const FREE_TEXT_SHARE = 0.6;
/** Share of max_tokens a program takes (a model asked for code writes it out in full). */
const CODE_SHARE = 0.8;
/** Share of a free answer an agent's turn takes. */
const AGENT_TURN_SHARE = 0.4;
/** for_each items when the list is only known at run time. */
const UNKNOWN_ITEMS: ForecastRange = { low: 1, expected: 3, high: 10 };
/** An AUTO decision: its prompt's framing and its answer. */
const AUTO_PROMPT_TOKENS = 120;
const AUTO_ANSWER_TOKENS: ForecastRange = { low: 4, expected: 12, high: 60 };
const JUDGE_SYSTEM_TOKENS = 45;
const JUDGE_ANSWER_TOKENS: ForecastRange = { low: 8, expected: 25, high: 120 };

export interface ForecastOptions {
  /** USD of `usage` on `model` at list price; undefined when the catalog has no price. */
  priceOf(model: string, usage: Pick<Usage, 'input_tokens' | 'output_tokens'>): number | undefined;
  /** Per step id: the usage each past run recorded for it (cache misses only), newest first. */
  history?: Map<string, Usage[]>;
  /**
   * The pipeline (and literal inputs) a `pipeline` step or a pipeline-executor tool step runs, when its file is
   * written as it is (not a template) and compiles; undefined otherwise.
   */
  childPipeline?(step: CompiledStep, parent: CompiledPipeline): { pipeline: CompiledPipeline; inputs: Record<string, unknown> } | undefined;
}

/** Child pipelines are forecast this many levels down (a pipeline that runs itself stops there). */
const CHILD_DEPTH = 3;

const range = (low: number, expected: number, high: number): ForecastRange => ({ low, expected, high });
const constant = (value: number): ForecastRange => range(value, value, value);
const times = (a: ForecastRange, b: ForecastRange): ForecastRange => range(a.low * b.low, a.expected * b.expected, a.high * b.high);
const plus = (a: ForecastRange, b: ForecastRange): ForecastRange => range(a.low + b.low, a.expected + b.expected, a.high + b.high);
const minus = (a: ForecastRange, b: ForecastRange): ForecastRange => range(Math.max(0, a.low - b.low), Math.max(0, a.expected - b.expected), Math.max(0, a.high - b.high));
const rounded = (a: ForecastRange): ForecastRange => range(Math.round(a.low), Math.round(a.expected), Math.round(a.high));
const zero = (): ForecastRange => constant(0);

export function tokensOfText(text: string): number {
  return Math.ceil(text.length / CHARACTERS_PER_TOKEN);
}

/** What a step's model calls look like: how many, and the tokens of each. */
interface CallShape {
  model: string;
  calls: ForecastRange;
  input: ForecastRange;
  output: ForecastRange;
}

interface Estimator {
  pipeline: CompiledPipeline;
  inputs: Record<string, unknown>;
  options: ForecastOptions;
  assumptions: Set<string>;
  /** 0 for the run's own pipeline, 1 for a child pipeline, ... */
  depth: number;
  /** Output tokens of each step's answer, for prompts that quote it. */
  outputs: Map<string, ForecastRange>;
}

function modelOf(step: CompiledStep, estimator: Estimator): string {
  const config = estimator.pipeline.config.model;
  const fallback = typeof config === 'string' ? config : 'local';
  if (typeof step.model === 'string' && !step.model.includes('{{') && !step.model.includes('<AUTO')) return step.model;
  if (step.model !== null) estimator.assumptions.add(`step '${step.id}': its model is decided at run time; priced as ${fallback}`);
  if (typeof config !== 'string') estimator.assumptions.add(`config.model is a requirement: priced as ${fallback}`);
  return fallback;
}

/** The value a template expression stands for, as text of the right size: an input's value, or a step's answer. */
function substitute(text: string, estimator: Estimator, pick: keyof ForecastRange): string {
  return text.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_whole, expression: string) => {
    const path = expression.split('|')[0]!.trim().split('.');
    const root = path[0] === 'inputs' || path[0] === 'steps' ? path[1] : path[0];
    if (root !== undefined && root in estimator.inputs) {
      const value = estimator.inputs[root];
      return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
    }
    const answer = root !== undefined ? estimator.outputs.get(root) : undefined;
    if (!answer) return 'x'.repeat(8);
    // A field of a structured answer is a part of it.
    const share = path.length > (path[0] === 'steps' ? 3 : 2) ? 0.3 : 1;
    return 'x'.repeat(Math.round(answer[pick] * share * CHARACTERS_PER_TOKEN));
  });
}

/** The prompt a model step sends (system and user message), as text sized for `pick`. */
function promptText(step: CompiledStep, estimator: Estimator, pick: keyof ForecastRange): string {
  const { pipeline } = estimator;
  const parameters = Object.entries(step.parameters)
    .filter(([key]) => !(step.actionKind === 'generate' && key === 'prompt'))
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
  const task =
    step.actionKind === 'prompt'
      ? step.action
      : step.actionKind === 'generate'
        ? String(step.parameters.prompt ?? '')
        : `Task: ${step.action.replace(/[_-]+/g, ' ')}${step.name ? ` (${step.name})` : ''}.${pipeline.description ? `\nGoal of the pipeline: ${pipeline.description}` : ''}`;
  const system = systemPrompt({ pipelineDescription: pipeline.description, step } as Parameters<typeof systemPrompt>[0]);
  return `${system}\n${substitute(`${task}${parameters ? `\n\n${parameters}` : ''}`, estimator, pick)}`;
}

function promptTokens(step: CompiledStep, estimator: Estimator, extraMessages = 0): ForecastRange {
  const framing = TOKENS_PER_MESSAGE * (2 + extraMessages);
  return range(
    tokensOfText(promptText(step, estimator, 'low')) + framing,
    tokensOfText(promptText(step, estimator, 'expected')) + framing,
    tokensOfText(promptText(step, estimator, 'high')) + framing,
  );
}

/** Tokens of a JSON answer to `schema`: a few per property, more for free-text fields. */
function schemaAnswerTokens(schema: Record<string, unknown>): number {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  let tokens = 4;
  for (const property of Object.values(properties)) {
    if (Array.isArray(property.enum)) tokens += 5 + Math.max(...property.enum.map((value) => tokensOfText(String(value))));
    else if (property.type === 'string') tokens += 25;
    else if (property.type === 'object') tokens += schemaAnswerTokens(property);
    else if (property.type === 'array') tokens += 30;
    else tokens += 6;
  }
  return tokens;
}

function answerTokens(step: CompiledStep, estimator: Estimator): ForecastRange {
  const configured = step.maxTokens ?? estimator.pipeline.config.maxTokens;
  if (step.outputSchema) {
    const ceiling = configured ?? STRUCTURED_MAX_TOKENS;
    const expected = Math.min(ceiling, schemaAnswerTokens(step.outputSchema));
    // An answer that does not match the schema is asked once more.
    return range(Math.max(1, Math.round(expected * 0.5)), expected, Math.min(ceiling, expected * 3) * 2);
  }
  const ceiling = configured ?? DEFAULT_MAX_TOKENS;
  if (configured === null) estimator.assumptions.add(`steps without max_tokens are assumed to answer at most ${DEFAULT_MAX_TOKENS} tokens`);
  const prompt = `${step.action} ${typeof step.parameters.prompt === 'string' ? step.parameters.prompt : ''}`;
  const hint = lengthHint(prompt);
  const share = /```|\b(program|code|script)\b/i.test(prompt) ? CODE_SHARE : FREE_TEXT_SHARE;
  const expected = Math.min(ceiling, hint ?? Math.round(ceiling * share));
  if (hint !== undefined) estimator.assumptions.add(`step '${step.id}': its prompt asks for a short answer: ~${hint} tokens expected`);
  // A degenerate answer (a loop, an echo) is asked again by the local model's server: at worst twice the ceiling.
  return range(Math.min(ceiling, 4), expected, ceiling * 2);
}

/** Answer lengths a prompt asks for in words ("in one sentence", "at most eight words"), in tokens; undefined: none said. */
const LENGTH_HINTS: Array<[RegExp, number]> = [
  [/\b(at most|in|up to) (\w+) words\b/i, 0],
  [/\b(one|a single) (short )?sentence\b/i, 30],
  [/\btwo sentences\b/i, 90],
  [/\bthree(-| )sentences?\b/i, 120],
  [/\bkeywords?\b/i, 25],
  [/\b(a title|the title|one word|a label)\b/i, 15],
  [/\blist (two|three) /i, 80],
  [/\bshort reply\b/i, 80],
];
const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twenty: 20, fifty: 50 };

export function lengthHint(prompt: string): number | undefined {
  for (const [pattern, tokens] of LENGTH_HINTS) {
    const match = pattern.exec(prompt);
    if (!match) continue;
    if (tokens > 0) return tokens;
    const count = NUMBER_WORDS[match[2]!.toLowerCase()] ?? Number(match[2]);
    if (Number.isFinite(count) && count > 0) return Math.round(count * 1.5) + 2;
  }
  return undefined;
}

function itemsOf(step: CompiledStep, estimator: Estimator): ForecastRange {
  const list = step.forEach ?? step.loop?.items ?? null;
  if (Array.isArray(list)) return constant(list.length);
  const name = typeof list === 'string' ? /^\{\{\s*(?:inputs\.)?([A-Za-z_][\w-]*)\s*\}\}$/.exec(list.trim())?.[1] : undefined;
  const value = name !== undefined ? estimator.inputs[name] : undefined;
  if (Array.isArray(value)) return constant(value.length);
  estimator.assumptions.add(`step '${step.id}': for_each over a list known only at run time: ${UNKNOWN_ITEMS.low}–${UNKNOWN_ITEMS.high} items, ${UNKNOWN_ITEMS.expected} expected`);
  return UNKNOWN_ITEMS;
}

function replicatesOf(step: CompiledStep, estimator: Estimator): ForecastRange {
  if (!step.replicates) return constant(1);
  if (step.replicates.count !== null) return constant(step.replicates.count);
  const tag = step.autoTags.find((candidate) => candidate.target.kind === 'field' && candidate.target.field === 'replicates');
  const low = typeof tag?.schema.minimum === 'number' ? tag.schema.minimum : 1;
  const high = typeof tag?.schema.maximum === 'number' ? tag.schema.maximum : 5;
  const expected = Math.round(low + (high - low) / 4);
  estimator.assumptions.add(`step '${step.id}': replicates is an AUTO tag: ${low}–${high}, ${expected} expected (models tend to pick the low end)`);
  return range(low, expected, high);
}

/** The model calls of one step, before its judges and AUTO decisions. */
function mainCalls(step: CompiledStep, estimator: Estimator): CallShape | null {
  const model = modelOf(step, estimator);
  if (step.agent) {
    // One turn calls a tool and one answers; a coordinator also hands a task to each member.
    const turns = range(1, Math.min(step.agent.maxTurns, 2 + Math.max(0, step.agent.members.length - 1)), step.agent.maxTurns);
    const ceiling = answerTokens(step, estimator);
    // A turn is mostly a tool call or a hand-over: a quarter of what a free answer would use.
    const output = range(ceiling.low, Math.round(ceiling.expected * AGENT_TURN_SHARE), ceiling.high);
    const tools = Object.values(step.agent.agents).reduce((count, agent) => count + agent.tools.length, 0);
    const base = plus(promptTokens({ ...step, actionKind: 'generate', parameters: { prompt: step.parameters.prompt ?? '' } }, estimator), constant(60 * tools));
    estimator.assumptions.add(`step '${step.id}': an agent takes 1–${step.agent.maxTurns} turns (max_turns), ${turns.expected} expected; each turn re-reads the conversation`);
    return { model, calls: turns, input: plus(base, times(output, range(0, (turns.expected - 1) / 2, (turns.high - 1) / 2))), output };
  }
  if (!['prompt', 'named', 'generate'].includes(step.actionKind)) return null;
  const items = step.forEach !== null ? itemsOf(step, estimator) : constant(1);
  return { model, calls: times(items, replicatesOf(step, estimator)), input: promptTokens(step, estimator), output: answerTokens(step, estimator) };
}

function autoCalls(step: CompiledStep, estimator: Estimator): CallShape[] {
  const model = estimator.pipeline.config.autoModel ?? modelOf(step, estimator);
  return step.autoTags.map((tag) => ({
    model,
    calls: constant(1),
    input: constant(AUTO_PROMPT_TOKENS + tokensOfText(`${tag.description} ${estimator.pipeline.description ?? ''} ${JSON.stringify(tag.schema)}`)),
    output: AUTO_ANSWER_TOKENS,
  }));
}

function judgeCalls(step: CompiledStep, estimator: Estimator, answer: ForecastRange, attempts: ForecastRange): CallShape[] {
  const judges = ((step.expect ?? []) as unknown as ExpectCheck[]).filter((check): check is Extract<ExpectCheck, { check: 'judge' }> => check.check === 'judge');
  return judges.map((judge) => ({
    model: judge.model ?? modelOf(step, estimator),
    calls: attempts,
    input: plus(constant(JUDGE_SYSTEM_TOKENS + tokensOfText(judge.rubric)), answer),
    output: JUDGE_ANSWER_TOKENS,
  }));
}

function priced(shape: CallShape, estimator: Estimator, input: ForecastRange, output: ForecastRange): ForecastRange {
  const price = (pick: keyof ForecastRange): number => {
    const cost = estimator.options.priceOf(shape.model, { input_tokens: input[pick], output_tokens: output[pick] });
    if (cost === undefined) estimator.assumptions.add(`no list price for ${shape.model} in models.yaml: counted as $0`);
    return cost ?? 0;
  };
  return range(price('low'), price('expected'), price('high'));
}

/** Past runs' usage of the step, when there is some: their median is expected, their spread widens low and high. */
function learned(step: CompiledStep, estimator: Estimator, forecast: StepForecast, auto: Totals): StepForecast {
  const samples = estimator.options.history?.get(step.id) ?? [];
  if (samples.length === 0) return forecast;
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const fit = (values: number[], structural: ForecastRange): ForecastRange =>
    range(Math.min(structural.low, Math.floor(Math.min(...values) * 0.9)), median(values), Math.max(structural.high, Math.ceil(Math.max(...values) * 1.1)));
  // A step's recorded usage leaves out its AUTO decisions (the run's usage has them): they are added as forecast.
  const input = plus(fit(samples.map((usage) => usage.input_tokens), minus(forecast.input_tokens, auto.input)), auto.input);
  const output = plus(fit(samples.map((usage) => usage.output_tokens), minus(forecast.output_tokens, auto.output)), auto.output);
  const cost = plus(fit(samples.map((usage) => usage.cost_usd), minus(forecast.cost_usd, auto.cost)), auto.cost);
  return { ...forecast, input_tokens: rounded(input), output_tokens: rounded(output), cost_usd: cost, basis: `past runs (${samples.length})` };
}

interface Totals {
  calls: ForecastRange;
  input: ForecastRange;
  output: ForecastRange;
  cost: ForecastRange;
}

function totalsOf(shapes: CallShape[], estimator: Estimator): Totals {
  const totals: Totals = { calls: zero(), input: zero(), output: zero(), cost: zero() };
  for (const shape of shapes) {
    const input = times(shape.calls, shape.input);
    const output = times(shape.calls, shape.output);
    totals.input = plus(totals.input, input);
    totals.output = plus(totals.output, output);
    totals.cost = plus(totals.cost, priced(shape, estimator, input, output));
    totals.calls = plus(totals.calls, shape.calls);
  }
  return totals;
}

/** How often a loop runs its block: its items, or for while/until between one iteration and max_iterations. */
function iterationsOf(step: CompiledStep, estimator: Estimator): ForecastRange {
  const loop = step.loop!;
  if (loop.kind === 'for_each') {
    const items = itemsOf(step, estimator);
    return range(items.low, items.expected, Math.min(items.high, loop.maxIterations));
  }
  const most = loop.maxIterations;
  const expected = Math.max(1, Math.round(most / 2));
  estimator.assumptions.add(`step '${step.id}': a ${loop.kind} loop runs 1–${most} iterations (max_iterations), ${expected} expected`);
  return range(1, expected, most);
}

/** A loop step: its block's steps (each forecast as a step), once per iteration. */
function forecastLoop(step: CompiledStep, estimator: Estimator): StepForecast {
  const iterations = iterationsOf(step, estimator);
  const block = step.loop!.steps.filter((child) => !child.isHandler).map((child) => forecastStep(child, estimator));
  const sum = (pick: (child: StepForecast) => ForecastRange): ForecastRange => times(iterations, block.map(pick).reduce(plus, zero()));
  estimator.outputs.set(step.id, constant(20));
  return {
    id: step.id,
    calls: rounded(sum((child) => child.calls)),
    input_tokens: rounded(sum((child) => child.input_tokens)),
    output_tokens: rounded(sum((child) => child.output_tokens)),
    cost_usd: sum((child) => child.cost_usd),
    basis: `its block of ${block.length} step(s) × ${iterations.low}/${iterations.expected}/${iterations.high} iterations`,
  };
}

function runsChild(step: CompiledStep): boolean {
  return step.actionKind === 'pipeline' || step.tool?.name === 'pipeline-executor';
}

/** A child pipeline's step: the child's own forecast, when its file is known before the run. */
function forecastChild(step: CompiledStep, estimator: Estimator): StepForecast | undefined {
  const child = estimator.depth < CHILD_DEPTH ? estimator.options.childPipeline?.(step, estimator.pipeline) : undefined;
  if (!child) {
    estimator.assumptions.add(`step '${step.id}': a child pipeline whose file is known only at run time: its own calls are not counted`);
    return undefined;
  }
  const forecast = forecastRun(child.pipeline, child.inputs, { ...estimator.options, history: new Map() }, estimator.depth + 1);
  for (const assumption of forecast.assumptions) estimator.assumptions.add(`child pipeline '${child.pipeline.name}': ${assumption}`);
  estimator.outputs.set(step.id, constant(20));
  const calls = forecast.steps.map((each) => each.calls).reduce(plus, zero());
  return { id: step.id, calls, input_tokens: forecast.input_tokens, output_tokens: forecast.output_tokens, cost_usd: forecast.cost_usd, basis: `child pipeline '${child.pipeline.name}'` };
}

function forecastStep(step: CompiledStep, estimator: Estimator): StepForecast {
  if (step.loop) return forecastLoop(step, estimator);
  if (runsChild(step)) {
    const child = forecastChild(step, estimator);
    if (child) return child;
  }
  const main = mainCalls(step, estimator);
  const attempts = step.onExpectFail === 'retry' ? range(1, 1, step.maxRetries + 1) : constant(1);
  const autoShapes = autoCalls(step, estimator);
  const shapes: CallShape[] = [...autoShapes];
  if (main) shapes.push({ ...main, calls: times(main.calls, attempts) });
  if (main) shapes.push(...judgeCalls(step, estimator, main.output, attempts));
  if (step.when !== null && main) estimator.assumptions.add(`step '${step.id}' has a condition: counted as running (it may be skipped)`);
  const totals = totalsOf(shapes, estimator);
  estimator.outputs.set(step.id, main ? main.output : constant(20));
  const basis = main ? 'rendered prompt and max_tokens' : shapes.length > 0 ? 'AUTO decisions only' : 'not a model call';
  const forecast = { id: step.id, calls: rounded(totals.calls), input_tokens: rounded(totals.input), output_tokens: rounded(totals.output), cost_usd: totals.cost, basis };
  return learned(step, estimator, forecast, totalsOf(autoShapes, estimator));
}

/** The forecast of a run of `pipeline` with `inputs`; steps in dependency order, so prompts see their sources' sizes. */
export function forecastRun(pipeline: CompiledPipeline, inputs: Record<string, unknown>, options: ForecastOptions, depth = 0): RunForecast {
  const estimator: Estimator = { pipeline, inputs, options, assumptions: new Set(), outputs: new Map(), depth };
  const byId = new Map(pipeline.steps.map((step) => [step.id, step]));
  const ordered = pipeline.levels.flat().map((id) => byId.get(id)).filter((step): step is CompiledStep => step !== undefined);
  for (const step of pipeline.steps) if (!ordered.includes(step)) ordered.push(step);
  const steps = ordered.map((step) => forecastStep(step, estimator));
  const sum = (pick: (step: StepForecast) => ForecastRange): ForecastRange => steps.map(pick).reduce(plus, zero());
  const input = sum((step) => step.input_tokens);
  const output = sum((step) => step.output_tokens);
  if ((options.history?.size ?? 0) === 0) estimator.assumptions.add('no past runs of this pipeline: figures come from the rendered prompts and max_tokens');
  estimator.assumptions.add(`tokens counted at ~${CHARACTERS_PER_TOKEN} characters each; results quoted by later prompts sized at their step's forecast answer`);
  return { steps, input_tokens: input, output_tokens: output, tokens: plus(input, output), cost_usd: sum((step) => step.cost_usd), assumptions: [...estimator.assumptions] };
}

/** The forecast as a table a person reads. */
export function formatForecast(forecast: RunForecast): string {
  const span = (value: ForecastRange, digits = 0): string => (digits === 0 ? `${value.low}/${value.expected}/${value.high}` : `${value.low.toFixed(digits)}/${value.expected.toFixed(digits)}/${value.high.toFixed(digits)}`);
  const rows = [
    ['STEP', 'CALLS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'USD', 'BASIS'],
    ...forecast.steps.map((step) => [step.id, span(step.calls), span(step.input_tokens), span(step.output_tokens), span(step.cost_usd, 4), step.basis]),
    ['run', '', span(forecast.input_tokens), span(forecast.output_tokens), span(forecast.cost_usd, 4), ''],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
  return `forecast (low/expected/high):\n${table}\ntokens: ${span(forecast.tokens)}\nassumptions:\n${forecast.assumptions.map((line) => `  - ${line}`).join('\n')}\n`;
}
