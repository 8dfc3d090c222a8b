// The `expect:` checks activity (spec section 14): every check of a step against its result; a judge is a model call.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { checkLabel, valueAtPath, type CheckRecord, type ExpectCheck } from '../base/expect-checks';
import { FailureType } from '../base/failure-types';
import { addUsage, zeroUsage, type Usage } from '../base/run-types';
import type { ModelResolver } from '../models/registry';
import { toApplicationFailure } from './errors';
import { renderValue, templateScope } from './render';
import { noStepCache, type StepCache } from './step-cache';
import type { StepCachePolicy, TemplateContext } from './types';

export interface EvaluateChecksInput {
  stepId: string;
  checks: ExpectCheck[];
  result: unknown;
  /** The step's output tokens (for `max_tokens`); null when the step made no model call. */
  outputTokens: number | null;
  /** What templates in expected values read. */
  context: TemplateContext;
  /** The judge's model when a check names none: the step's model as it answered (`echo` in a dry run). */
  defaultJudgeModel: string;
  /** The step's cache policy: a judge's verdict is cached like the step's answer. */
  cache?: StepCachePolicy;
}

export interface EvaluateChecksOutput {
  checks: CheckRecord[];
  /** The judges' calls (none cached). */
  usage: Usage;
  modelCalls: number;
}

const JUDGE_SCHEMA = {
  type: 'object',
  properties: { score: { type: 'number', minimum: 0, maximum: 1 }, reason: { type: 'string' } },
  required: ['score'],
};

/** Text of a value for contains/matches: a string as it is, anything else as JSON. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

function shown(value: unknown): string {
  const text = asText(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Equal after trimming and case-folding text, numbers by value, objects as canonical JSON. */
function sameAnswer(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') return actual.trim().toLowerCase() === expected.trim().toLowerCase();
  if (typeof expected === 'number' && typeof actual === 'string' && actual.trim() !== '') return Number(actual) === expected;
  return JSON.stringify(actual) === JSON.stringify(expected);
}

/** Every check but a judge: a pure function of the result. */
export function evaluateCheck(check: Exclude<ExpectCheck, { check: 'judge' }>, result: unknown, outputTokens: number | null): CheckRecord {
  const record = (passed: boolean, detail: string): CheckRecord => ({ check: checkLabel(check), passed, detail });
  if (check.check === 'max_tokens') {
    if (outputTokens === null) return record(true, 'the step made no model call');
    return record(outputTokens <= check.limit, `${outputTokens} output tokens (at most ${check.limit})`);
  }
  const actual = valueAtPath(result, check.path);
  const where = check.path !== null ? `'${check.path}' is ` : 'the result is ';
  if (actual === undefined) return record(false, `${check.path !== null ? `the result has no '${check.path}'` : 'the step has no result'}`);
  switch (check.check) {
    case 'equals':
      return record(sameAnswer(actual, check.value), `${where}${shown(actual)}, expected ${shown(check.value)}`);
    case 'contains':
    case 'not_contains': {
      const found = asText(actual).toLowerCase().includes(check.value.toLowerCase());
      const passed = check.check === 'contains' ? found : !found;
      return record(passed, `${where}${shown(actual)}, which ${found ? 'contains' : 'does not contain'} '${check.value}'`);
    }
    case 'matches': {
      const found = new RegExp(check.pattern).test(asText(actual));
      return record(found, `${where}${shown(actual)}, which ${found ? 'matches' : 'does not match'} /${check.pattern}/`);
    }
    case 'range': {
      const number = typeof actual === 'number' ? actual : Number(asText(actual));
      const bounds = `${check.min ?? '-inf'}..${check.max ?? 'inf'}`;
      if (Number.isNaN(number)) return record(false, `${where}${shown(actual)}, not a number in ${bounds}`);
      const passed = (check.min === null || number >= check.min) && (check.max === null || number <= check.max);
      return record(passed, `${where}${number}, ${passed ? 'inside' : 'outside'} ${bounds}`);
    }
  }
}

function judgeMessages(rubric: string, result: unknown) {
  return [
    { role: 'system' as const, content: 'You grade an answer against a rubric. Answer with JSON only: {"score": a number from 0 to 1, "reason": "one short sentence"}.' },
    { role: 'user' as const, content: `Rubric: ${rubric}\n\nAnswer to grade:\n${asText(result)}` },
  ];
}

export function createCheckActivities(dependencies: { models: ModelResolver; stepCache?: StepCache }) {
  const stepCache = dependencies.stepCache ?? noStepCache;
  return {
    async evaluateChecks(input: EvaluateChecksInput): Promise<EvaluateChecksOutput> {
      const context = Context.current();
      const usage = zeroUsage();
      let modelCalls = 0;
      const checks: CheckRecord[] = [];
      try {
        const rendered = renderValue(input.checks, templateScope(input.context)) as ExpectCheck[];
        for (const check of rendered) {
          if (check.check !== 'judge') {
            checks.push(evaluateCheck(check, input.result, input.outputTokens));
            continue;
          }
          const model = dependencies.models.resolve(check.model ?? input.defaultJudgeModel);
          const request = { messages: judgeMessages(check.rubric, input.result), jsonSchema: JUDGE_SCHEMA, maxTokens: 120, temperature: 0 };
          const ask = async () => {
            const answer = await model.generate({ ...request, signal: context.cancellationSignal });
            return { json: answer.json ?? null, text: answer.text, usage: answer.usage };
          };
          const { value, record } = await stepCache.answer(input.cache, () => ({ action: 'judge', model: model.id, ...request }), ask);
          if (!record?.hit) {
            addUsage(usage, value.usage);
            modelCalls++;
          }
          const verdict = (value.json ?? {}) as { score?: unknown; reason?: unknown };
          const score = typeof verdict.score === 'number' ? Math.max(0, Math.min(1, verdict.score)) : 0;
          const reason = typeof verdict.reason === 'string' ? verdict.reason : value.text.slice(0, 200);
          checks.push({ check: 'judge', passed: score >= check.threshold, detail: `${model.id} scored ${score} (threshold ${check.threshold}): ${reason}`, score });
        }
      } catch (error) {
        if (error instanceof SyntaxError) throw ApplicationFailure.create({ message: `step '${input.stepId}': an expect check is invalid: ${error.message}`, type: FailureType.InvalidStep, nonRetryable: true });
        throw toApplicationFailure(error, { step: input.stepId, attempt: context.info.attempt });
      }
      return { checks, usage, modelCalls };
    },
  };
}
