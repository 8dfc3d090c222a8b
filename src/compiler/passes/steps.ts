// Pass: every step of a block (the pipeline's, then each loop's nested block), compiled the same way: its kind
// (and that kind's checker from STEP_KINDS), what its templates read, its dependencies and its settings.
import { parseAutoTag } from '../auto-tags';
import { blockOf, keyPosition, newReader, report, reporter, type Block, type CompileContext, type Reader } from '../context';
import { didYouMean } from '../diagnostics';
import { cycleOrder, findCycles } from '../graph';
import { STEP_KINDS } from '../kinds';
import { mergeEscapes } from '../kinds/loop';
import type { BlockResult, KindChecker, KindFields, StepSite } from '../kinds/types';
import { compileExpect } from '../expect';
import { compileReplicates } from '../replicates';
import { containsTemplate } from '../templates';
import type { ActionKind, CompiledStep } from '../../base/compiled-pipeline';
import { isPlainObject, type PlainObject } from '../values';
import { compileErrorHandlers } from './on-error';
import { readTemplate, readValue } from './references';
import { stepSettings } from './settings';

const KIND_ENTRIES = Object.entries(STEP_KINDS) as Array<[ActionKind, KindChecker]>;
/** Keys some kind owns (STEP_KINDS[kind].keys): on a step of another kind, an error. */
const OWNED_KEYS: ReadonlyMap<string, ActionKind> = new Map(KIND_ENTRIES.flatMap(([kind, checker]) => (checker.keys ?? []).map((key) => [key, kind] as const)));
/** `action: NAME` of the built-in kinds. */
const BUILT_IN_ACTIONS: ReadonlyMap<string, ActionKind> = new Map(KIND_ENTRIES.flatMap(([kind, checker]) => (checker.action !== undefined ? [[checker.action, kind] as const] : [])));

/** The kind a step is: a tool, a loop, or what its action says (a prompt, a built-in action, a named action). */
export function kindOf(raw: PlainObject, action: string): ActionKind {
  if (raw.tool !== undefined) return 'tool';
  if (raw.steps !== undefined || raw.while !== undefined || raw.until !== undefined) return 'loop';
  if (/\s/.test(action.trim()) || containsTemplate(action)) return 'prompt';
  return BUILT_IN_ACTIONS.get(action) ?? 'named';
}

function checkKindKeys(context: CompileContext, step: StepSite, kind: ActionKind): void {
  if (kind !== 'loop' && step.raw.action === undefined) report(context, 'MISSING_FIELD', `missing required 'action' in step '${step.id}'`, step.path);
  for (const key of Object.keys(step.raw)) {
    const owner = OWNED_KEYS.get(key);
    if (owner !== undefined && owner !== kind) report(context, 'INVALID_VALUE', `step '${step.id}': '${key}' belongs to ${owner} steps, and this is a ${kind} step`, step.at(key));
  }
}

export function compileBlock(context: CompileContext, block: Block): BlockResult {
  const dependencies = new Map<string, string[]>();
  const escapes = newReader();
  const steps = block.raw.map((_, index) => {
    const { compiled, reader } = compileStep(context, block, index);
    if (block.ids.get(compiled.id) === index) dependencies.set(compiled.id, compiled.dependsOn);
    mergeEscapes(escapes, reader, block);
    return compiled;
  });
  reportCycles(context, block, dependencies);
  return { steps, escapes };
}

function reportCycles(context: CompileContext, block: Block, dependencies: Map<string, string[]>): void {
  for (const members of findCycles(dependencies)) {
    const ordered = cycleOrder(members, dependencies);
    const chain = [...ordered, ordered[0]!].join(' -> ');
    for (const member of ordered) {
      const index = block.ids.get(member);
      if (index !== undefined) report(context, 'CYCLE', `step '${member}' is in a dependency cycle: ${chain}`, [...block.at, index, 'id']);
    }
  }
}

function siteOf(context: CompileContext, block: Block, index: number): StepSite {
  const raw = block.raw[index]!;
  const id = typeof raw.id === 'string' ? raw.id : `#${index + 1}`;
  const path = [...block.at, index];
  const isHandler = block.handlers.has(id);
  const inForEach = raw.for_each !== undefined && raw.for_each !== null && kindOf(raw, '') !== 'loop';
  return {
    raw,
    id,
    index,
    block,
    path,
    at: (...rest) => [...path, ...rest],
    scope: { step: id, block, inForEach, isHandler },
    reader: newReader(),
    action: typeof raw.action === 'string' ? raw.action : '',
    compileBlock: (inner) => compileBlock(context, inner),
  };
}

/** Templates every kind may have: parameters, when, model, and a fan-out's for_each (read once, for the list). */
function readStepTemplates(context: CompileContext, step: StepSite, kind: ActionKind): Reader {
  readValue(context, step.raw.parameters, step.at('parameters'), step.scope, step.reader);
  if (typeof step.raw.when === 'string') readTemplate(context, step.raw.when, step.at('when'), step.scope, step.reader);
  const model = step.raw.model;
  if (typeof model === 'string' && parseAutoTag(model).kind === 'none') readTemplate(context, model, step.at('model'), step.scope, step.reader);
  const forEachReader = newReader();
  if (kind !== 'loop' && step.raw.for_each !== undefined && step.raw.for_each !== null) {
    // The list is read before its items exist: `item` is not defined there (an enclosing loop's is).
    readValue(context, step.raw.for_each, step.at('for_each'), { ...step.scope, inForEach: false }, forEachReader);
  }
  return forEachReader;
}

function addRead(reader: Reader, holder: Block, id: string): void {
  reader.reads.set(holder, new Set([...(reader.reads.get(holder) ?? []), id]));
}

/** depends_on / dependencies, and every step the templates read in this block. */
function dependenciesOf(context: CompileContext, step: StepSite, forEachReader: Reader): string[] {
  const explicit: string[] = [];
  for (const key of ['depends_on', 'dependencies'] as const) {
    const declared = Array.isArray(step.raw[key]) ? (step.raw[key] as unknown[]) : [];
    declared.forEach((dependency, position) => {
      if (typeof dependency !== 'string') return;
      const holder = blockOf(step.block, dependency);
      if (!holder) {
        const visible = [...step.block.ids.keys(), ...(step.block.parent ? [...step.block.parent.ids.keys()] : [])];
        report(context, 'UNKNOWN_DEPENDENCY', `step '${step.id}' depends on unknown step '${dependency}'${didYouMean(dependency, visible)}`, step.at(key, position));
      } else if (holder.handlers.has(dependency) && dependency !== step.id) {
        report(context, 'INVALID_VALUE', `step '${step.id}' depends on '${dependency}', which only runs as another step's on_failure handler`, step.at(key, position));
      } else if (holder === step.block) explicit.push(dependency);
      else addRead(step.reader, holder, dependency);
    });
  }
  const read = [...(step.reader.reads.get(step.block) ?? []), ...(forEachReader.reads.get(step.block) ?? [])];
  // What the list reads outside the block makes the enclosing loop wait, as the step's own reads do.
  for (const [holder, ids] of forEachReader.reads) if (holder !== step.block) ids.forEach((id) => addRead(step.reader, holder, id));
  return [...new Set([...explicit, ...read])];
}

function compileStep(context: CompileContext, block: Block, index: number): { compiled: CompiledStep; reader: Reader } {
  const step = siteOf(context, block, index);
  const kind = kindOf(step.raw, step.action);
  checkKindKeys(context, step, kind);
  const fields: KindFields = STEP_KINDS[kind].check(context, step);
  const forEachReader = readStepTemplates(context, step, kind);
  // Spec section 14: the checks, their paths against the output schema; templates in expected values are the step's reads.
  const expectation = compileExpect(step.raw, step.at, reporter(context), keyPosition(context), (value, where) => readValue(context, value, [...where], step.scope, step.reader));
  const dependsOn = dependenciesOf(context, step, forEachReader);
  const compiled = { ...assembleStep(context, step, kind, fields, dependsOn, forEachReader), ...expectation };
  return { compiled, reader: step.reader };
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

export function budgetOf(value: unknown): CompiledStep['budget'] {
  if (!isPlainObject(value)) return null;
  return {
    ...(typeof value.tokens === 'number' ? { tokens: value.tokens } : {}),
    ...(typeof value.cost_usd === 'number' ? { costUsd: value.cost_usd } : {}),
  };
}

function assembleStep(context: CompileContext, step: StepSite, kind: ActionKind, fields: KindFields, dependsOn: string[], forEachReader: Reader): CompiledStep {
  const { raw, id } = step;
  const settings = stepSettings(context, step, kind);
  const replicates = compileReplicates(raw, kind, (code, message, where) => report(context, code, message, where), step.at);
  const errorHandlers = compileErrorHandlers(context, raw, step.block, step.at('on_error'));
  return {
    id,
    name: typeof raw.name === 'string' ? raw.name : null,
    actionKind: kind,
    action: step.action,
    parameters: isPlainObject(raw.parameters) ? raw.parameters : {},
    dependsOn,
    model: typeof raw.model === 'string' || isPlainObject(raw.model) ? (raw.model as string | PlainObject) : null,
    outputSchema: isPlainObject(raw.output_schema) ? raw.output_schema : null,
    budget: budgetOf(raw.budget),
    fallbackModels: stringList(raw.fallback) ?? stringList(context.config.fallback_models) ?? [],
    timeoutSeconds: settings.timeoutSeconds,
    maxRetries: settings.maxRetries,
    onFailure: settings.onFailure,
    isHandler: step.scope.isHandler,
    when: typeof raw.when === 'string' || typeof raw.when === 'boolean' ? raw.when : null,
    forEach: kind !== 'loop' && (typeof raw.for_each === 'string' || Array.isArray(raw.for_each)) ? (raw.for_each as string | unknown[]) : null,
    maxParallel: kind !== 'loop' && typeof raw.max_parallel === 'number' ? raw.max_parallel : null,
    temperature: typeof raw.temperature === 'number' ? raw.temperature : null,
    maxTokens: typeof raw.max_tokens === 'number' ? raw.max_tokens : null,
    references: [...step.reader.references.values()],
    forEachReferences: [...forEachReader.references.values()],
    autoTags: context.autoTags.filter((tag) => tag.step === id && tagInBlock(tag.path, step)),
    cache: settings.cache,
    ...fields,
    ...(replicates ? { replicates } : {}),
    ...(errorHandlers ? { errorHandlers } : {}),
    ...(settings.whenSkips ? { whenSkips: settings.whenSkips } : {}),
    ...(settings.jumps ? { jumps: settings.jumps } : {}),
  };
}

/** An AUTO tag's path names the step through its loops (`steps.LOOP.steps.CHILD.…`): the tag is this step's. */
function tagInBlock(path: string, step: StepSite): boolean {
  const loops: string[] = [];
  for (let block: Block | null = step.block; block?.loop; block = block.parent) loops.unshift(block.loop.id);
  return path.startsWith(`steps.${[...loops, step.id].join('.steps.')}.`);
}
