// The step graph: cycles (every step in each one) and execution levels (longest dependency chain).

/** Strongly connected components with more than one step, or a step that depends on itself. */
export function findCycles(dependencies: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];

  // Iterative Tarjan, so a pipeline of thousands of steps cannot overflow the call stack.
  for (const start of dependencies.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    index.set(start, counter);
    lowLink.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = dependencies.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const target = edges[frame.next++]!;
        if (!dependencies.has(target)) continue;
        if (!index.has(target)) {
          index.set(target, counter);
          lowLink.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          lowLink.set(frame.node, Math.min(lowLink.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink.set(parent.node, Math.min(lowLink.get(parent.node)!, lowLink.get(frame.node)!));
      if (lowLink.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && edges.includes(frame.node);
        if (component.length > 1 || selfLoop) cycles.push(component.reverse());
      }
    }
  }
  return cycles;
}

/** Orders a cycle's members so each depends on the next one: a -> b -> c -> a. */
export function cycleOrder(members: readonly string[], dependencies: ReadonlyMap<string, readonly string[]>): string[] {
  const inCycle = new Set(members);
  const ordered: string[] = [];
  const seen = new Set<string>();
  let current = members[0];
  while (current !== undefined && !seen.has(current)) {
    ordered.push(current);
    seen.add(current);
    current = (dependencies.get(current) ?? []).find((next) => inCycle.has(next) && !seen.has(next));
  }
  return ordered.length === members.length ? ordered : [...members];
}

/** Groups steps by the length of their longest dependency chain (seeds/000 `get_execution_levels`). */
export function executionLevels(order: readonly string[], dependencies: ReadonlyMap<string, readonly string[]>): string[][] {
  const level = new Map<string, number>();
  const visit = (step: string): number => {
    const known = level.get(step);
    if (known !== undefined) return known;
    level.set(step, 0); // guards against cycles, which the compiler reports separately
    let depth = 0;
    for (const dependency of dependencies.get(step) ?? []) {
      if (dependencies.has(dependency)) depth = Math.max(depth, visit(dependency) + 1);
    }
    level.set(step, depth);
    return depth;
  };
  const levels: string[][] = [];
  for (const step of order) {
    const depth = visit(step);
    (levels[depth] ??= []).push(step);
  }
  return levels.filter((group) => group.length > 0);
}
