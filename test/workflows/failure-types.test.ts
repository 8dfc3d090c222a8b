// Each failure a user or an on_error handler branches on carries its type on the failed step (`error_type`),
// raised where it happens: real runs on the shared dev server, a scripted model, real Docker for run_code.
import type { Orchestrator } from '../../src/client';
import { FailureType } from '../../src/base/failure-types';
import type { RunResult } from '../../src/base/run-types';
import { compileYaml } from '../helpers/compile';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';

const model = new ScriptedModel();
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(`failure-types-${process.pid}`, { models: resolverFor(model) });
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

function run(yaml: string, inputs: Record<string, unknown> = {}): Promise<RunResult> {
  return orchestrator.execute(compileYaml(yaml), inputs);
}

test('replicates that agree too little: CONFLICT', async () => {
  model.reset((_prompt, call) => ({ text: ['alpha', 'beta', 'gamma'][call % 3] }));
  const result = await run(`
name: conflict_type
steps:
  - { id: pick, action: Pick a word, replicates: 3, min_agreement: 0.9 }
`);
  expect(result.steps.pick).toMatchObject({ status: 'failed', error_type: FailureType.Conflict });
}, 60_000);

test("a step over its own token budget: BUDGET_EXCEEDED", async () => {
  model.reset(() => ({}));
  const result = await run(`
name: budget_type
steps:
  - { id: spend, action: Say something, budget: { tokens: 5 } }
`);
  // The scripted model reports 15 tokens a call.
  expect(result.steps.spend).toMatchObject({ status: 'failed', error: "step 'spend' used 15 tokens, over its budget of 5", error_type: FailureType.BudgetExceeded });
}, 60_000);

test('for_each over something that is not a list at run time: INVALID_STEP', async () => {
  const result = await run(
    `
name: invalid_type
inputs:
  items: { type: string }
steps:
  - { id: each, for_each: "{{ inputs.items }}", action: "Say {{ item }}" }
`,
    { items: 'not a list' },
  );
  expect(result.steps.each).toMatchObject({ status: 'failed', error_type: FailureType.InvalidStep });
  expect(result.steps.each!.error).toMatch(/for_each must give a list, got string/);
}, 60_000);

test('an approval nobody answers in time: APPROVAL_REJECTED', async () => {
  const result = await run(`
name: approval_type
steps:
  - { id: review, action: approval, parameters: { prompt: Ship it?, timeout: 1 } }
`);
  expect(result.steps.review).toMatchObject({ status: 'failed', error: "step 'review': no approval decision within 1s", error_type: FailureType.ApprovalRejected });
}, 60_000);

test('code that exits non-zero: CODE_FAILED', async () => {
  const result = await run(`
name: code_type
steps:
  - { id: code, action: run_code, parameters: { language: bash, code: "echo nope >&2; exit 3" } }
`);
  expect(result.steps.code).toMatchObject({ status: 'failed', error: "step 'code': code exited with code 3: nope", error_type: FailureType.CodeFailed });
}, 120_000);

test('a model call that fails for good keeps its provider failure type: ModelError', async () => {
  model.reset(() => ({ fail: { message: 'the provider refused', retryable: false } }));
  const result = await run(`
name: model_type
steps:
  - { id: ask, action: Ask it }
`);
  expect(result.steps.ask).toMatchObject({ status: 'failed', error_type: FailureType.ModelError });
}, 60_000);

test('an on_error handler picks a failure by its type, not its message: CONFLICT handled, BUDGET_EXCEEDED not', async () => {
  model.reset((_prompt, call) => ({ text: ['alpha', 'beta', 'gamma'][call % 3] }));
  const result = await run(`
name: handled_by_type
steps:
  - id: pick
    action: Pick a word
    replicates: 3
    min_agreement: 0.9
    on_error: { error_types: [CONFLICT], fallback_value: undecided }
  - id: spend
    action: Say something
    budget: { tokens: 5 }
    on_failure: continue
    on_error: { error_types: [CONFLICT], fallback_value: never }
`);
  expect(result.steps.pick).toMatchObject({ status: 'completed', result: 'undecided', recovered: { by: 'fallback_value' } });
  expect(result.steps.spend).toMatchObject({ status: 'failed', error_type: FailureType.BudgetExceeded });
}, 60_000);

test('a failure whose on_error handler failed too keeps its own type; a timeout is TIMEOUT', async () => {
  model.reset((prompt) => (prompt.includes('HANG') ? { hang: true } : prompt.includes('HANDLER') ? { fail: { message: 'handler model down', retryable: false } } : {}));
  const result = await run(`
name: handler_failed_type
steps:
  - id: stuck
    action: HANG forever
    timeout: 1s
    max_retries: 0
    on_failure: continue
  - id: guarded
    action: HANG again
    timeout: 1s
    max_retries: 0
    on_failure: continue
    on_error: { handler_action: "HANDLER explain" }
`);
  expect(result.steps.stuck).toMatchObject({ status: 'failed', error_type: FailureType.Timeout });
  expect(result.steps.guarded).toMatchObject({ status: 'failed', error_type: FailureType.Timeout });
  expect(result.steps.guarded!.error).toMatch(/timed out after 1s \(its on_error handling failed too: .*handler model down/);
}, 60_000);
