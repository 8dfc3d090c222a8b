// Pass (per template): what a template reads — inputs, steps (by id, in its block or the blocks around it), loop
// variables — with an error at the character for every name that does not exist there.
import { parseAutoTag } from '../auto-tags';
import { blockOf, rawStepOf, report, stepKey, type Block, type CompileContext, type Reader, type TemplateScope } from '../context';
import { didYouMean, formatPath } from '../diagnostics';
import { EVIDENCE_FIELDS } from '../replicates';
import type { Position, YamlPath } from '../source';
import { containsTemplate, parseTemplate, TEMPLATE_GLOBALS } from '../templates';
import { isPlainObject } from '../values';

const STEP_RESULT_KEYS: ReadonlySet<string> = new Set(['result', 'output']);
const STEP_META_KEYS: ReadonlySet<string> = new Set(['error', 'status', 'evidence']);
/** Names a step of a for_each fan-out may read. */
export const FOR_EACH_NAMES: ReadonlySet<string> = new Set(['item', 'index', '$item', '$index']);
/** Names a step inside a loop's block may read (spec section 18), besides `LOOP.iteration` and the like. */
export const LOOP_NAMES: ReadonlySet<string> = new Set([...FOR_EACH_NAMES, 'iteration', '$iteration', 'is_first', 'is_last']);

interface Site {
  at: YamlPath;
  position: Position;
  scope: TemplateScope;
  reader: Reader;
}

/** Every template inside a value (strings, lists, mappings); an AUTO tag is not a template. */
export function readValue(context: CompileContext, value: unknown, at: Array<string | number>, scope: TemplateScope, reader: Reader): void {
  if (typeof value === 'string') {
    if (parseAutoTag(value).kind === 'none') readTemplate(context, value, at, scope, reader);
  } else if (Array.isArray(value)) value.forEach((item, index) => readValue(context, item, [...at, index], scope, reader));
  else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) readValue(context, item, [...at, key], scope, reader);
}

export function readTemplate(context: CompileContext, text: string, at: YamlPath, scope: TemplateScope, reader: Reader): void {
  if (!containsTemplate(text)) return;
  const parsed = parseTemplate(text);
  if (!parsed.ok) {
    report(context, 'TEMPLATE_SYNTAX', `template syntax error: ${parsed.message}`, at, context.source.positionInString(at, parsed.index));
    return;
  }
  for (const reference of parsed.references) {
    const site: Site = { at, position: context.source.positionInString(at, reference.index), scope, reader };
    readName(context, reference.path as [string, ...string[]], site);
  }
}

/** The loops around a block, innermost first. */
function enclosingLoops(block: Block): string[] {
  const loops: string[] = [];
  for (let current: Block | null = block; current; current = current.parent) if (current.loop) loops.push(current.loop.id);
  return loops;
}

function readName(context: CompileContext, [root, ...rest]: [string, ...string[]], site: Site): void {
  const { scope } = site;
  const holder = blockOf(scope.block, root);
  if (TEMPLATE_GLOBALS.has(root) && !holder && !context.inputs[root]) return;
  const loops = enclosingLoops(scope.block);
  if (root === 'inputs') readInputs(context, rest[0], site);
  else if (root === 'steps') readStepsRoot(context, rest, site);
  else if (loops.length > 0 && (LOOP_NAMES.has(root) || loops.includes(root))) return;
  else if (holder) readStep(context, holder, root, rest, site);
  else if (FOR_EACH_NAMES.has(root)) {
    if (!scope.inForEach) report(context, 'ITEM_OUTSIDE_FOR_EACH', `'${root}' is only defined in a step with for_each or in the steps of a loop`, site.at, site.position);
  } else if (LOOP_NAMES.has(root) && !context.inputs[root]) {
    report(context, 'ITEM_OUTSIDE_FOR_EACH', `'${root}' is only defined in the steps of a loop (for_each, while or until with nested steps)`, site.at, site.position);
  } else if (context.loopChildren.has(root) && !context.inputs[root]) {
    const loop = context.loopChildren.get(root)!;
    report(context, 'UNKNOWN_REFERENCE', `'${root}' is a step inside loop '${loop}': outside the loop, read ${loop}.results (one entry per iteration)`, site.at, site.position);
  } else if (root === 'failed') {
    if (!scope.isHandler) report(context, 'UNKNOWN_REFERENCE', `'failed' is only defined in a step that handles another step's failure (on_failure)`, site.at, site.position);
  } else if (context.inputs[root] || !context.inputsDeclared) readInput(context, root, site);
  else unknown(context, root, 'input, step or variable', ['inputs', 'steps', ...Object.keys(context.inputs), ...visibleSteps(scope.block)], site);
}

function visibleSteps(block: Block): string[] {
  const ids: string[] = [];
  for (let current: Block | null = block; current; current = current.parent) ids.push(...current.ids.keys());
  return ids;
}

function unknown(context: CompileContext, name: string, what: string, candidates: Iterable<string>, site: Site): void {
  report(context, 'UNKNOWN_REFERENCE', `template refers to unknown ${what} '${name}'${didYouMean(name, candidates)}`, site.at, site.position);
}

function readInputs(context: CompileContext, name: string | undefined, site: Site): void {
  if (name === undefined) Object.keys(context.inputs).forEach((input) => readInput(context, input, site));
  else if (context.inputsDeclared && !context.inputs[name]) unknown(context, name, 'input', Object.keys(context.inputs), site);
  else readInput(context, name, site);
}

function readStepsRoot(context: CompileContext, rest: string[], site: Site): void {
  const stepId = rest[0];
  if (stepId === undefined) {
    report(context, 'UNKNOWN_REFERENCE', 'template must name a step: steps.STEP.result', site.at, site.position);
    return;
  }
  const holder = blockOf(site.scope.block, stepId);
  if (!holder) unknown(context, stepId, 'step', visibleSteps(site.scope.block), site);
  else readStep(context, holder, stepId, rest.slice(1), site);
}

function readInput(context: CompileContext, name: string, site: Site): void {
  if (!context.inputsDeclared && !context.inputs[name] && !context.implicitInputs.has(name)) {
    context.implicitInputs.set(name, { ...site.position, path: formatPath(site.at) });
  }
  site.reader.references.set(`input:${name}`, { kind: 'input', name });
}

function readStep(context: CompileContext, block: Block, stepId: string, fieldPath: string[], site: Site): void {
  const { scope, at, position } = site;
  if (stepId === scope.step && block === scope.block) {
    report(context, 'CYCLE', `step '${stepId}' refers to its own result`, at, position);
    return;
  }
  if (scope.step !== undefined && block.handlers.has(stepId)) {
    report(context, 'INVALID_VALUE', `step '${scope.step}' reads '${stepId}', which only runs as another step's on_failure handler`, at, position);
    return;
  }
  const [first, second] = fieldPath;
  if (first === 'evidence' && !evidenceReadable(context, block, stepId, second, site)) return;
  site.reader.references.set(`step:${stepId}`, { kind: 'step', step: stepId });
  const reads = site.reader.reads.get(block) ?? new Set<string>();
  reads.add(stepId);
  site.reader.reads.set(block, reads);
  const field = first !== undefined && STEP_RESULT_KEYS.has(first) ? second : first !== undefined && !STEP_META_KEYS.has(first) ? first : undefined;
  if (field !== undefined && !/^\d+$/.test(field)) {
    const key = stepKey(block, stepId);
    const fields = context.fieldsRead.get(key) ?? new Set<string>();
    fields.add(field);
    context.fieldsRead.set(key, fields);
  }
}

function evidenceReadable(context: CompileContext, block: Block, stepId: string, field: string | undefined, site: Site): boolean {
  const target = rawStepOf(block, stepId);
  if (target?.replicates === undefined && target?.models === undefined) {
    report(context, 'UNKNOWN_REFERENCE', `'${stepId}.evidence' exists only for a step with 'replicates'`, site.at, site.position);
    return false;
  }
  if (field !== undefined && !EVIDENCE_FIELDS.has(field)) {
    report(context, 'UNKNOWN_REFERENCE', `'${stepId}.evidence' has no field '${field}'${didYouMean(field, EVIDENCE_FIELDS)}`, site.at, site.position);
    return false;
  }
  return true;
}
