// A step's `model` may be a requirement object (spec section 4): kept as written for selection at run time, and
// checked when the pipeline compiles, like every other key.
import { compileErrors, compileOk, yaml } from './helpers';

test('a requirement compiles into the step (and the pipeline default) as written', () => {
  const pipeline = compileOk(yaml`
    name: p
    config:
      model: { tasks: [summarization], policy: performance_optimized }
    steps:
      - id: think
        action: think hard
        model: { tasks: [reasoning], context_window: 8000, structured_output: true, function_calling: false, policy: cost_optimized }
  `);
  expect(pipeline.steps[0]!.model).toEqual({ tasks: ['reasoning'], context_window: 8000, structured_output: true, function_calling: false, policy: 'cost_optimized' });
  expect(pipeline.config.model).toEqual({ tasks: ['summarization'], policy: 'performance_optimized' });
});

test('a misspelt requirement key, an unknown policy and a bad context window are errors with their positions', () => {
  const diagnostics = compileErrors(yaml`
    name: p
    steps:
      - id: a
        action: do it
        model: { task: [reasoning] }
      - id: b
        action: do it
        model: { tasks: [reasoning], policy: cheapest }
      - id: c
        action: do it
        model: { context_window: -5 }
  `);
  expect(diagnostics.map(({ code, line, message }) => ({ code, line, message }))).toEqual([
    { code: 'UNKNOWN_KEY', line: 5, message: expect.stringMatching(/^unknown key 'task' in step 'a'.*did you mean 'tasks'/) },
    { code: 'INVALID_VALUE', line: 8, message: expect.stringMatching(/policy.*must be equal to one of the allowed values/) },
    { code: 'INVALID_VALUE', line: 11, message: expect.stringMatching(/context_window.*must be >= 1/) },
  ]);
});

test('auto_model names a model: a requirement there is an error rather than silently ignored', () => {
  const diagnostics = compileErrors(yaml`
    name: p
    config:
      auto_model: { tasks: [reasoning] }
    steps:
      - id: a
        action: do it
  `);
  expect(diagnostics.map(({ code, line }) => ({ code, line }))).toEqual([{ code: 'INVALID_VALUE', line: 3 }]);
});
