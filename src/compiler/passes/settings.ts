// Pass: the pipeline's defaults (config), and the settings every step has whatever its kind: timeout, retries,
// caching, on_failure.
import { parseAutoTag } from '../auto-tags';
import { note, report, type CompileContext } from '../context';
import { didYouMean } from '../diagnostics';
import { badDurationMessage, parseDuration } from '../durations';
import { STEP_KINDS } from '../kinds';
import type { StepSite } from '../kinds/types';
import type { YamlPath } from '../source';
import { DEFAULT_CACHE_TTL_SECONDS, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_SECONDS, type ActionKind, type CompiledStep, type OnFailure } from '../../base/compiled-pipeline';
import type { PlainObject } from '../values';
import { ON_FAILURE_KEYWORDS } from './blocks';

function durationAt(context: CompileContext, value: unknown, at: YamlPath): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDuration(value);
  if (seconds === undefined) report(context, 'BAD_DURATION', badDurationMessage(value), at);
  return seconds;
}

export function configDefaults(context: CompileContext): CompileContext['defaults'] {
  const { config, configKey } = context;
  return {
    timeoutSeconds: durationAt(context, config.timeout, [configKey, 'timeout']) ?? DEFAULT_TIMEOUT_SECONDS,
    maxRetries: typeof config.max_retries === 'number' ? config.max_retries : DEFAULT_MAX_RETRIES,
    cacheTtlSeconds: durationAt(context, config.cache_ttl, [configKey, 'cache_ttl']) ?? DEFAULT_CACHE_TTL_SECONDS,
  };
}

function timeoutOf(context: CompileContext, step: StepSite): number {
  const value = step.raw.timeout;
  if (value === undefined || (typeof value === 'string' && parseAutoTag(value).kind !== 'none')) return context.defaults.timeoutSeconds;
  return durationAt(context, value, step.at('timeout')) ?? context.defaults.timeoutSeconds;
}

/** Spec section 9: a step's own `cache_results`/`cache_ttl` win over config's; only cacheable kinds are cached. */
function cachePolicyOf(context: CompileContext, step: StepSite, kind: ActionKind): CompiledStep['cache'] {
  const raw = step.raw;
  const ttlSeconds = durationAt(context, raw.cache_ttl, step.at('cache_ttl')) ?? context.defaults.cacheTtlSeconds;
  const cacheable = STEP_KINDS[kind].cacheable;
  if (!cacheable && (raw.cache_results === true || raw.cache_ttl !== undefined)) {
    const key = raw.cache_results === true ? 'cache_results' : 'cache_ttl';
    report(context, 'INVALID_VALUE', `'${key}' does not apply to action ${kind}: only LLM, run_code and mcp steps are cached`, step.at(key));
  }
  const enabled = typeof raw.cache_results === 'boolean' ? raw.cache_results : context.config.cache_results === true;
  return cacheable && enabled ? { ttlSeconds } : null;
}

function onFailureOf(step: StepSite): OnFailure {
  const value = step.raw.on_failure;
  if (typeof value !== 'string') return { kind: 'fail' };
  if (ON_FAILURE_KEYWORDS.has(value)) return { kind: value as 'fail' | 'continue' | 'skip' | 'retry' };
  return step.block.handlers.has(value) ? { kind: 'handler', step: value } : { kind: 'fail' };
}

function checkWholeNumbers(context: CompileContext, raw: PlainObject, at: StepSite['at']): void {
  for (const field of ['max_retries', 'max_parallel', 'replicates'] as const) {
    const value = raw[field];
    if (typeof value === 'string' && parseAutoTag(value).kind === 'none') {
      report(context, 'INVALID_VALUE', `'${field}' must be a whole number or an <AUTO> tag, not '${value}'`, at(field));
    }
  }
}

function whenSkipsOf(context: CompileContext, step: StepSite): CompiledStep['whenSkips'] {
  const value = step.raw.when_skips;
  if (value === undefined) return undefined;
  if (step.raw.when === undefined) report(context, 'INVALID_VALUE', `step '${step.id}': 'when_skips' says what a false 'when' skips, and the step has no 'when'`, step.at('when_skips'));
  return value === 'step' || value === 'dependents' ? value : undefined;
}

const JUMP_KEYS = [
  ['on_false', 'onFalse'],
  ['on_success', 'onSuccess'],
  ['goto', 'goto'],
] as const;

/** `on_false` / `on_success` / `goto`: a later step of the same block (a jump goes forward, and never out of a loop). */
function jumpsOf(context: CompileContext, step: StepSite): CompiledStep['jumps'] {
  const jumps: NonNullable<CompiledStep['jumps']> = {};
  for (const [key, field] of JUMP_KEYS) {
    const target = step.raw[key];
    if (target === undefined) continue;
    const index = typeof target === 'string' ? step.block.ids.get(target) : undefined;
    if (typeof target !== 'string' || index === undefined) {
      const candidates = [...step.block.ids.keys()].filter((id) => id !== step.id);
      report(context, 'UNKNOWN_REFERENCE', `step '${step.id}': ${key} names '${String(target)}', which is not a step here${typeof target === 'string' ? didYouMean(target, candidates) : ''}`, step.at(key));
    } else if (index <= step.index) {
      report(context, 'INVALID_VALUE', `step '${step.id}': ${key} '${target}' jumps backwards; a jump goes to a later step (the steps between are skipped)`, step.at(key));
    } else if (key === 'on_false' && step.raw.when === undefined) {
      report(context, 'INVALID_VALUE', `step '${step.id}': on_false jumps when the step's condition is false, and the step has no condition`, step.at(key));
    } else jumps[field] = target;
  }
  if (Object.keys(jumps).length === 0) return undefined;
  if (step.block.loop !== null) {
    const key = JUMP_KEYS.find(([each]) => step.raw[each] !== undefined)![0];
    note(context, 'NO_EFFECT', `step '${step.id}': a jump inside a loop's block is not followed; the block's steps run by their dependencies`, step.at(key));
    return undefined;
  }
  return jumps;
}

export type StepSettings = Pick<CompiledStep, 'timeoutSeconds' | 'maxRetries' | 'cache' | 'onFailure' | 'whenSkips' | 'jumps'>;

export function stepSettings(context: CompileContext, step: StepSite, kind: ActionKind): StepSettings {
  checkWholeNumbers(context, step.raw, step.at);
  return {
    timeoutSeconds: timeoutOf(context, step),
    maxRetries: typeof step.raw.max_retries === 'number' ? step.raw.max_retries : context.defaults.maxRetries,
    cache: cachePolicyOf(context, step, kind),
    onFailure: onFailureOf(step),
    whenSkips: whenSkipsOf(context, step),
    jumps: jumpsOf(context, step),
  };
}
