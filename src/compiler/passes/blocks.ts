// Pass: the steps of a block (the pipeline's, or a loop's nested ones) by id, duplicates reported, and the steps
// that only run as another step's failure handler. Every later check refers to these.
import { report, type Block, type CompileContext } from '../context';
import { didYouMean } from '../diagnostics';
import type { YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';

export const ON_FAILURE_KEYWORDS: ReadonlySet<string> = new Set(['fail', 'continue', 'skip', 'retry']);

export function buildBlock(context: CompileContext, at: YamlPath, list: unknown, parent: Block | null, loop: Block['loop']): Block {
  const raw: PlainObject[] = Array.isArray(list) ? list.map((step) => (isPlainObject(step) ? step : {})) : [];
  const block: Block = { at, raw, ids: new Map(), handlers: new Set(), parent, loop };
  raw.forEach((step, index) => {
    if (typeof step.id !== 'string') return;
    if (block.ids.has(step.id)) {
      report(context, 'DUPLICATE_ID', `duplicate step id '${step.id}' (first used by step #${block.ids.get(step.id)! + 1})`, [...at, index, 'id']);
    } else {
      block.ids.set(step.id, index);
    }
  });
  raw.forEach((step, index) => {
    collectOnFailureHandler(context, block, step, [...at, index]);
    for (const { id, at: handlerAt } of onErrorHandlerIds(step, [...at, index])) collectHandler(context, block, step, id, handlerAt, 'on_error');
    if (typeof step.on_error === 'string') collectStringHandler(context, block, step, [...at, index, 'on_error']);
  });
  return block;
}

function collectOnFailureHandler(context: CompileContext, block: Block, step: PlainObject, stepAt: YamlPath): void {
  const onFailure = step.on_failure;
  if (typeof onFailure !== 'string' || ON_FAILURE_KEYWORDS.has(onFailure)) return;
  if (block.ids.has(onFailure) && onFailure !== step.id) {
    block.handlers.add(onFailure);
    return;
  }
  const candidates = [...ON_FAILURE_KEYWORDS, ...block.ids.keys()];
  report(
    context,
    'UNKNOWN_HANDLER',
    `on_failure '${onFailure}' is neither fail, continue, skip, retry nor another step's id${didYouMean(onFailure, candidates)}`,
    [...stepAt, 'on_failure'],
  );
}

function collectHandler(context: CompileContext, block: Block, step: PlainObject, id: string, at: YamlPath, key: string): void {
  if (block.ids.has(id) && id !== step.id) {
    block.handlers.add(id);
    return;
  }
  const why = id === step.id ? `is the step itself` : `is not a step${block.loop ? ` of loop '${block.loop.id}'` : ''}`;
  report(context, 'UNKNOWN_HANDLER', `${key} handler '${id}' ${why}${didYouMean(id, [...block.ids.keys()].filter((other) => other !== step.id))}`, at);
}

/** `handler_task_id`s of a step's on_error (object or list form); a string is a step id only when one has it. */
function onErrorHandlerIds(step: PlainObject, stepAt: YamlPath): Array<{ id: string; at: YamlPath }> {
  const value = step.on_error;
  const entries = Array.isArray(value) ? value.map((entry, index) => ({ entry, at: [...stepAt, 'on_error', index] })) : [{ entry: value, at: [...stepAt, 'on_error'] }];
  return entries.flatMap(({ entry, at }) =>
    isPlainObject(entry) && typeof entry.handler_task_id === 'string' ? [{ id: entry.handler_task_id, at: [...at, 'handler_task_id'] }] : [],
  );
}

/**
 * A string on_error is a handler step when a step of the block has that id, else a prompt for the step's model. A
 * single word that is one edit or so from a step's id is a misspelt id, not a prompt.
 */
function collectStringHandler(context: CompileContext, block: Block, step: PlainObject, at: YamlPath): void {
  const text = (step.on_error as string).trim();
  if (block.ids.has(text) && text !== step.id) {
    block.handlers.add(text);
    return;
  }
  const suggestion = /\s/.test(text) ? '' : didYouMean(text, [...block.ids.keys()].filter((id) => id !== step.id));
  if (suggestion !== '') report(context, 'UNKNOWN_HANDLER', `on_error '${text}' is not a step${suggestion}; a handler prompt is a sentence`, at);
}
