// Pass: every <AUTO> tag in the document. A tag may stand only as a whole parameter value or as a step's
// model/timeout/max_retries/max_parallel/replicates (a loop's child's too); anywhere else it is an error.
import { autoTagSchema, AUTO_FIELDS, parseAutoTag, type AutoField, type ParsedAutoTag } from '../auto-tags';
import { report, type CompileContext } from '../context';
import type { YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';

export function scanAutoTags(context: CompileContext, value: unknown = context.document, at: Array<string | number> = []): void {
  if (typeof value === 'string') {
    scanString(context, value, at);
    return;
  }
  if (Array.isArray(value)) value.forEach((item, index) => scanAutoTags(context, item, [...at, index]));
  else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) scanAutoTags(context, item, [...at, key]);
}

/** The step a path is in (through loops' nested `steps`), its id path, and the rest of the path. */
function stepOfPath(document: PlainObject, at: YamlPath): { step: PlainObject | undefined; ids: string[]; rest: YamlPath } {
  let list: unknown = document.steps;
  let step: PlainObject | undefined;
  const ids: string[] = [];
  let index = 0;
  while (at[index] === 'steps' && typeof at[index + 1] === 'number' && Array.isArray(list)) {
    const found: unknown = list[at[index + 1] as number];
    step = isPlainObject(found) ? found : {};
    ids.push(typeof step.id === 'string' ? step.id : 'null');
    list = step.steps;
    index += 2;
  }
  return { step, ids, rest: at.slice(index) };
}

function scanString(context: CompileContext, value: string, at: Array<string | number>): void {
  const tag = parseAutoTag(value);
  if (tag.kind === 'none') return;
  if (tag.kind === 'error') {
    report(context, 'AUTO_TAG', tag.message, at, context.source.positionInString(at, tag.index));
    return;
  }
  const { step, ids, rest } = stepOfPath(context.document, at);
  const inParameters = step !== undefined && rest[0] === 'parameters' && rest.length > 1;
  const field = step !== undefined && rest.length === 1 && (AUTO_FIELDS as readonly unknown[]).includes(rest[0]) ? (rest[0] as AutoField) : undefined;
  if (!inParameters && !field) {
    const where = at.filter((segment) => typeof segment === 'string').join('.');
    report(context, 'AUTO_TAG', `an <AUTO> tag cannot stand in '${where}'; it may be the whole value of a parameter or of a step's ${AUTO_FIELDS.join(', ')}`, at);
    return;
  }
  context.autoTags.push(autoTagAt(tag.tag, step!, ids, inParameters ? rest.slice(1) : [], field));
}

function autoTagAt(tag: ParsedAutoTag, step: PlainObject, ids: string[], keys: YamlPath, field: AutoField | undefined): CompileContext['autoTags'][number] {
  const stepId = typeof step.id === 'string' ? step.id : null;
  const lastKey = [...keys].reverse().find((key): key is string => typeof key === 'string');
  const where = field ? field : `parameters.${keys.map(String).join('.')}`;
  return {
    path: `steps.${ids.join('.steps.')}.${where}`,
    step: stepId,
    target: field ? { kind: 'field', field } : { kind: 'parameter', keys: [...keys] },
    description: tag.description,
    schema: autoTagSchema(tag, lastKey, field),
    ...(tag.attributes.task !== undefined ? { task: tag.attributes.task } : {}),
  };
}
