// Pass (per step): `on_error` in its string, object and list forms (spec section 18; pyorc-dialect.md 2.6) ->
// errorHandlers, tried in order once the step's retries are spent.
import { report, type Block, type CompileContext } from '../context';
import type { CompiledErrorHandler } from '../../base/compiled-pipeline';
import type { YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';

function oneOrMany(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

/** A string: a step of the block is a handler step; any other text is a prompt for the step's model. */
function fromString(written: string, block: Block): CompiledErrorHandler {
  const text = written.trim();
  const isStep = block.ids.has(text);
  return {
    errorTypes: ['*'],
    errorPatterns: [],
    handlerStep: isStep ? text : null,
    handlerAction: isStep ? null : text,
    hasFallback: false,
    retryWithHandler: true,
    continueOnHandlerFailure: false,
  };
}

function fromObject(context: CompileContext, entry: PlainObject, at: YamlPath): CompiledErrorHandler | undefined {
  const handlerStep = typeof entry.handler_task_id === 'string' ? entry.handler_task_id : null;
  // `action` is the legacy spelling of handler_action.
  const actionKey = entry.handler_action !== undefined ? 'handler_action' : 'action';
  const handlerAction = typeof entry[actionKey] === 'string' ? (entry[actionKey] as string) : null;
  const hasFallback = Object.prototype.hasOwnProperty.call(entry, 'fallback_value');
  if (handlerStep !== null && handlerAction !== null) {
    report(context, 'INVALID_VALUE', `on_error: give handler_task_id or ${actionKey}, not both`, [...at, actionKey]);
    return undefined;
  }
  if (handlerStep === null && handlerAction === null && !hasFallback) {
    report(context, 'MISSING_FIELD', 'on_error needs handler_task_id (a step), handler_action (a prompt) or fallback_value', at);
    return undefined;
  }
  const continueKey = entry.continue_on_handler_failure !== undefined ? 'continue_on_handler_failure' : 'continue_on_error';
  return {
    errorTypes: oneOrMany(entry.error_types) ?? ['*'],
    errorPatterns: errorPatterns(context, entry.error_patterns, [...at, 'error_patterns']),
    handlerStep,
    handlerAction,
    hasFallback,
    ...(hasFallback ? { fallback: entry.fallback_value } : {}),
    retryWithHandler: typeof entry.retry_with_handler === 'boolean' ? entry.retry_with_handler : handlerStep !== null || handlerAction !== null,
    continueOnHandlerFailure: entry[continueKey] === true,
  };
}

/** Regular expressions, each checked here so a bad one is an author's error, not a run's. */
function errorPatterns(context: CompileContext, value: unknown, at: YamlPath): string[] {
  const patterns = oneOrMany(value) ?? [];
  patterns.forEach((pattern, index) => {
    try {
      new RegExp(pattern);
    } catch (error) {
      report(context, 'INVALID_VALUE', `error pattern '${pattern}' is not a regular expression: ${(error as Error).message}`, Array.isArray(value) ? [...at, index] : at);
    }
  });
  return patterns;
}

export function compileErrorHandlers(context: CompileContext, raw: PlainObject, block: Block, at: YamlPath): CompiledErrorHandler[] | undefined {
  const value = raw.on_error;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [fromString(value, block)];
  const entries = Array.isArray(value) ? value : [value];
  const handlers: CompiledErrorHandler[] = [];
  entries.forEach((entry, index) => {
    const entryAt = Array.isArray(value) ? [...at, index] : at;
    if (typeof entry === 'string') handlers.push(fromString(entry, block));
    else if (isPlainObject(entry)) {
      const handler = fromObject(context, entry, entryAt);
      if (handler) handlers.push(handler);
    }
  });
  return handlers;
}
