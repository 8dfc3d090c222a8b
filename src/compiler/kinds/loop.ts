// A loop over a block of steps (spec section 18): `for_each: ITEMS` or `while:`/`until: CONDITION`, with nested
// `steps` run once per item or iteration. The block's steps have short ids; inside the block a child's id means
// this iteration's step, and the loop's variables (item, index, iteration, LOOP.iteration, …) are in scope.
import { buildBlock } from '../passes/blocks';
import { newReader, report, type Block, type CompileContext, type Reader } from '../context';
import type { CompiledLoop } from '../../base/compiled-pipeline';
import { readTemplate, readValue } from '../passes/references';
import type { KindChecker, StepSite } from './types';

/** `while`/`until` without `max_iterations` stop after this many (spec section 18). */
export const DEFAULT_MAX_ITERATIONS = 10;
/** A `for_each` loop without `max_iterations` runs at most this many items. */
export const DEFAULT_MAX_ITEMS = 10_000;
const LOOP_KEYS = ['for_each', 'while', 'until'] as const;

/** What a reader read outside `inner`, added to `outer` (the loop step's own reader). */
export function mergeEscapes(outer: Reader, inner: Reader, block: Block): void {
  for (const [holder, ids] of inner.reads) {
    if (holder === block) continue;
    const reads = outer.reads.get(holder) ?? new Set<string>();
    ids.forEach((id) => reads.add(id));
    outer.reads.set(holder, reads);
  }
  for (const [key, reference] of inner.references) {
    if (reference.kind === 'input' || !block.ids.has(reference.step)) outer.references.set(key, reference);
  }
}

function loopKindOf(context: CompileContext, step: StepSite): CompiledLoop['kind'] | undefined {
  const present = LOOP_KEYS.filter((key) => step.raw[key] !== undefined && step.raw[key] !== null);
  if (present.length > 1) {
    report(context, 'INVALID_VALUE', `step '${step.id}': a loop takes one of for_each, while or until, not ${present.join(' and ')}`, step.at(present[1]!));
  }
  if (present.length === 0) {
    report(context, 'MISSING_FIELD', `step '${step.id}': nested 'steps' run in a loop: add for_each (a list), while or until (a condition)`, step.at('steps'));
  }
  if (!Array.isArray(step.raw.steps) || step.raw.steps.length === 0) {
    report(context, 'MISSING_FIELD', `step '${step.id}': a ${present[0] ?? 'loop'} step needs nested 'steps' (the block run each time)`, step.path);
  }
  if (step.raw.action !== undefined) {
    report(context, 'INVALID_VALUE', `step '${step.id}': a loop step has no action: its work is its nested 'steps'`, step.at('action'));
  }
  return present[0];
}

function conditionOf(context: CompileContext, step: StepSite, kind: CompiledLoop['kind'], block: Block): CompiledLoop['condition'] {
  if (kind === 'for_each') return null;
  const value = step.raw[kind];
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return null;
  // The condition sees the block's steps (the iteration just run) and the loop's variables; only what it reads
  // outside the block makes the loop wait.
  const reader = newReader();
  readTemplate(context, value, step.at(kind), { step: undefined, block, inForEach: false, isHandler: false }, reader);
  mergeEscapes(step.reader, reader, block);
  return value;
}

export const loopKind: KindChecker = {
  keys: ['steps', 'while', 'until', 'max_iterations'],
  cacheable: false,
  modelAnswer: false,
  check(context, step) {
    const kind = loopKindOf(context, step);
    if (!kind || !Array.isArray(step.raw.steps)) return {};
    const block = buildBlock(context, step.at('steps'), step.raw.steps, step.block, { id: step.id, kind });
    const items = kind === 'for_each' && (typeof step.raw.for_each === 'string' || Array.isArray(step.raw.for_each)) ? (step.raw.for_each as string | unknown[]) : null;
    if (kind === 'for_each') readValue(context, step.raw.for_each, step.at('for_each'), { ...step.scope, inForEach: false }, step.reader);
    const condition = conditionOf(context, step, kind, block);
    const compiled = step.compileBlock(block);
    mergeEscapes(step.reader, compiled.escapes, block);
    const written = step.raw.max_iterations;
    const maxIterations = typeof written === 'number' ? written : kind === 'for_each' ? DEFAULT_MAX_ITEMS : DEFAULT_MAX_ITERATIONS;
    const maxParallel = typeof step.raw.max_parallel === 'number' ? step.raw.max_parallel : 1;
    if (kind !== 'for_each' && maxParallel > 1) {
      report(context, 'INVALID_VALUE', `step '${step.id}': max_parallel applies to for_each loops; ${kind} runs one iteration after another`, step.at('max_parallel'));
    }
    return { loop: { kind, items, condition, maxIterations, maxParallel, steps: compiled.steps } };
  },
};
