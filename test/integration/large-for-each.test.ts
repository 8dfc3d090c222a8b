// A for_each over 5,000 items completes on a real dev server, and no history (the run's or a chunk's) nears
// Temporal's 10,240-event limit.
import type { RunResult } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { compileYaml } from '../helpers/compile';

test('a 5,000-item for_each finishes, every history under 10,240 events', async () => {
  const orchestrator = sharedServerOrchestrator(`large-for-each-${process.pid}`);
  try {
    const items = Array.from({ length: 5000 }, (_, index) => `item-${index}`);
    const runId = `large-for-each-${Date.now()}`;
    const result = await orchestrator.execute(
      compileYaml(`
name: large_fan_out
config: { model: echo, max_parallel: 50 }
inputs:
  things: { type: array, required: true }
steps:
  - id: each
    action: "{{ index }}={{ item }}"
    for_each: "{{ things }}"
  - id: count
    action: "done {{ each.result | length }}"
`),
      { things: items },
      { runId },
    );
    expect(result.error).toBeNull();
    expect(result.status).toBe('completed');
    const results = result.steps.each!.result as string[];
    expect(results).toHaveLength(5000);
    expect(results[0]).toBe('0=item-0');
    expect(results[4999]).toBe('4999=item-4999');
    expect(result.steps.count!.result).toBe('done 5000');

    const client = await orchestrator.connect();
    const historyLengths: Record<string, number> = {};
    for (const workflowId of [runId, ...Array.from({ length: 5 }, (_, chunk) => `${runId}.each.${chunk}`)]) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      historyLengths[workflowId] = history.events?.length ?? 0;
    }
    for (const length of Object.values(historyLengths)) expect(length).toBeLessThan(10_240);
    expect(historyLengths[runId]).toBeLessThan(200);
    process.stdout.write(`history lengths: ${JSON.stringify(historyLengths)}\n`);
  } finally {
    await orchestrator.close();
  }
}, 600_000);

test('a run of 1,500 steps continues as new when Temporal suggests it, carrying every result', async () => {
  const orchestrator = sharedServerOrchestrator(`many-steps-${process.pid}`);
  try {
    const steps = Array.from({ length: 1500 }, (_, index) => `  - id: s${index}\n    action: "step {{ n }} ${index}"\n`).join('');
    const pipeline = compileYaml(`name: many_steps\nconfig: { model: echo, max_parallel: 100 }\ninputs:\n  n: string\nsteps:\n${steps}`);
    const { handle } = await orchestrator.start(pipeline, { n: 'x' }, { runId: `many-steps-${Date.now()}` });
    const result = (await handle.result()) as RunResult;
    expect(result.status).toBe('completed');
    expect(Object.values(result.steps).filter((step) => step.status === 'completed')).toHaveLength(1500);
    expect(result.steps.s1499!.result).toBe('step x 1499');
    const client = await orchestrator.connect();
    // A freshly started handle knows the run's first execution; that one must have continued as new.
    const firstRunId = (handle as { firstExecutionRunId?: string }).firstExecutionRunId;
    expect(firstRunId).toBeDefined();
    const first = await client.workflow.getHandle(handle.workflowId, firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    const history = await client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    expect(history.events!.length).toBeLessThan(10_240);
  } finally {
    await orchestrator.close();
  }
}, 600_000);
