// The compile side's table of step kinds: one checker per ActionKind, and what the table says about each.
import { actionKindSchema, type ActionKind } from '../../src/base/compiled-pipeline';
import { STEP_KINDS } from '../../src/compiler/kinds';
import type { KindChecker } from '../../src/compiler/kinds/types';
import { kindOf } from '../../src/compiler/passes/steps';

const table: Record<string, KindChecker> = STEP_KINDS;

describe('STEP_KINDS', () => {
  it('has exactly one checker for every ActionKind', () => {
    expect(Object.keys(table).sort()).toEqual([...actionKindSchema.options].sort());
  });

  it('caches the steps that send one request and get one answer (spec section 9)', () => {
    const cacheable = actionKindSchema.options.filter((kind) => table[kind]!.cacheable);
    expect(cacheable.sort()).toEqual(['generate', 'mcp', 'named', 'prompt', 'run_code']);
  });

  it('infers output schemas only for model answers', () => {
    expect(actionKindSchema.options.filter((kind) => table[kind]!.modelAnswer).sort()).toEqual(['generate', 'named', 'prompt']);
  });

  it('gives every built-in action a kind of its own name, and no two kinds one key', () => {
    for (const [kind, checker] of Object.entries(table)) if (checker.action !== undefined) expect(checker.action).toBe(kind);
    const keys = Object.values(table).flatMap((checker) => checker.keys ?? []);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each<[Record<string, unknown>, string, ActionKind]>([
    [{}, 'Summarise {{ x }}', 'prompt'],
    [{}, 'summarise it', 'prompt'],
    [{}, 'summarise', 'named'],
    [{}, 'run_code', 'run_code'],
    [{}, 'approval', 'approval'],
    [{ tool: 'filesystem' }, 'read', 'tool'],
    [{ for_each: [1], steps: [] }, '', 'loop'],
    [{ while: true }, '', 'loop'],
    [{ for_each: [1] }, 'do it', 'prompt'],
  ])('kindOf(%j, %j) is %s', (raw, action, kind) => {
    expect(kindOf(raw, action)).toBe(kind);
  });
});
