// `on_error` (string, object, list, legacy forms) -> errorHandlers; `when_skips`; `expect` passed through.
import { compilePipeline, formatDiagnostic } from '../../src/compiler';
import { stepOf, yaml, native, NATIVE } from './helpers';

const { compileOk } = native;

function printed(text: string): string[] {
  const result = compilePipeline(text, { file: 'e.yaml', ...NATIVE });
  if (result.ok) throw new Error('expected diagnostics');
  return result.diagnostics.map((diagnostic) => formatDiagnostic('e.yaml', diagnostic));
}

describe('on_error', () => {
  it('a string naming a step: that step is the handler, and runs only as one', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
          on_error: explain
        - id: explain
          action: "Explain {{ failed.error }}"
    `);
    expect(stepOf(pipeline, 'fetch').errorHandlers).toEqual([
      { errorTypes: ['*'], errorPatterns: [], handlerStep: 'explain', handlerAction: null, hasFallback: false, retryWithHandler: true, continueOnHandlerFailure: false },
    ]);
    expect(stepOf(pipeline, 'explain').isHandler).toBe(true);
    expect(stepOf(pipeline, 'fetch').onFailure).toEqual({ kind: 'fail' });
  });

  it('any other string is a prompt for the step\'s model', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
          on_error: Say what went wrong and suggest a fix
    `);
    expect(stepOf(pipeline, 'fetch').errorHandlers).toEqual([expect.objectContaining({ handlerStep: null, handlerAction: 'Say what went wrong and suggest a fix' })]);
  });

  it('an object and a list, with matching, a null fallback and options; and the legacy keys', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: do it
          on_error:
            - handler_task_id: repair
              error_types: [TIMEOUT, MODEL_UNAVAILABLE]
              error_patterns: ["rate limit \\\\d+"]
              retry_with_handler: false
              continue_on_handler_failure: true
            - fallback_value: null
        - id: b
          action: do it
          on_error: { action: "Apologise", continue_on_error: true, fallback_value: [] }
        - id: repair
          action: repair it
    `);
    expect(stepOf(pipeline, 'a').errorHandlers).toEqual([
      { errorTypes: ['TIMEOUT', 'MODEL_UNAVAILABLE'], errorPatterns: ['rate limit \\d+'], handlerStep: 'repair', handlerAction: null, hasFallback: false, retryWithHandler: false, continueOnHandlerFailure: true },
      { errorTypes: ['*'], errorPatterns: [], handlerStep: null, handlerAction: null, hasFallback: true, fallback: null, retryWithHandler: false, continueOnHandlerFailure: false },
    ]);
    expect(stepOf(pipeline, 'b').errorHandlers).toEqual([
      { errorTypes: ['*'], errorPatterns: [], handlerStep: null, handlerAction: 'Apologise', hasFallback: true, fallback: [], retryWithHandler: true, continueOnHandlerFailure: true },
    ]);
    expect(stepOf(pipeline, 'repair').isHandler).toBe(true);
    expect(pipeline.levels).toEqual([['a', 'b', 'repair']]);
  });

  it('a handler inside a loop is a step of the same block', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: each
          for_each: [a, b]
          steps:
            - id: work
              action: work on {{ item }}
              on_error: { handler_task_id: note }
            - id: note
              action: "note {{ failed.error }}"
    `);
    const children = stepOf(pipeline, 'each').loop!.steps;
    expect(children.find((step) => step.id === 'note')!.isHandler).toBe(true);
    expect(children.find((step) => step.id === 'work')!.errorHandlers![0]!.handlerStep).toBe('note');
  });

  it('errors: an unknown handler step, an unknown key, two handlers, none, a bad pattern, a dependency on a handler', () => {
    expect(
      printed(yaml`
        name: p
        steps:
          - id: a
            action: do it
            on_error: { handler_task_id: repiar }
          - id: b
            action: do it
            on_error:
              - handler_taks_id: repair
              - { handler_task_id: repair, handler_action: "fix it" }
              - error_types: ["*"]
              - { fallback_value: 0, error_patterns: ["(unclosed"] }
          - id: repair
            action: repair it
          - id: c
            action: after
            depends_on: [repair]
      `),
    ).toEqual([
      expect.stringMatching(/^e\.yaml:5:34: UNKNOWN_HANDLER on_error handler 'repiar' is not a step \(did you mean 'repair'\?\)/),
      expect.stringMatching(/^e\.yaml:9:9: UNKNOWN_KEY unknown key 'handler_taks_id' in step 'b' \(did you mean 'handler_task_id'\?\)/),
      expect.stringMatching(/^e\.yaml:9:9: MISSING_FIELD on_error needs handler_task_id/),
      expect.stringMatching(/^e\.yaml:10:52: INVALID_VALUE on_error: give handler_task_id or handler_action, not both/),
      expect.stringMatching(/^e\.yaml:11:9: MISSING_FIELD on_error needs handler_task_id/),
      expect.stringMatching(/^e\.yaml:12:47: INVALID_VALUE error pattern '\(unclosed' is not a regular expression/),
      expect.stringMatching(/^e\.yaml:17:18: INVALID_VALUE step 'c' depends on 'repair', which only runs as another step's on_failure handler/),
    ]);
  });
});

describe('when_skips', () => {
  it("'step' skips only the step; its dependents still run", () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: maybe
          action: do it
          when: "{{ inputs.go }}"
          when_skips: step
        - id: after
          action: "use {{ maybe }}"
    `);
    expect(stepOf(pipeline, 'maybe')).toMatchObject({ when: '{{ inputs.go }}', whenSkips: 'step' });
    expect(stepOf(pipeline, 'after').whenSkips).toBeUndefined();
  });

  it('errors: without a when, and an unknown value', () => {
    expect(
      printed(yaml`
        name: p
        steps:
          - id: a
            action: do it
            when_skips: step
          - id: b
            action: do it
            when: true
            when_skips: everything
      `),
    ).toEqual([
      expect.stringMatching(/^e\.yaml:5:17: INVALID_VALUE step 'a': 'when_skips' says what a false 'when' skips, and the step has no 'when'/),
      expect.stringMatching(/^e\.yaml:9:17: INVALID_VALUE 'steps\.1\.when_skips' must be equal to one of the allowed values/),
    ]);
  });
});

describe('expect', () => {
  it('passes the checks and on_expect_fail through to the compiled step', () => {
    const step = stepOf(compileOk(yaml`
      name: p
      steps:
        - id: triage
          action: Label this ticket
          expect:
            - contains: bug
            - range: { path: score, min: 0, max: 1 }
          on_expect_fail: warn
    `), 'triage');
    expect(step.expect).toEqual([
      { check: 'contains', path: null, value: 'bug' },
      { check: 'range', path: 'score', min: 0, max: 1 },
    ]);
    expect(step.onExpectFail).toBe('warn');
  });
});

describe('on_error as one word', () => {
  it('near a step id is a misspelt handler, not a prompt', () => {
    expect(
      printed(yaml`
        name: p
        steps:
          - id: a
            action: do it
            on_error: explian
          - id: explain
            action: explain
      `),
    ).toEqual([expect.stringMatching(/^e\.yaml:5:15: UNKNOWN_HANDLER on_error 'explian' is not a step \(did you mean 'explain'\?\)/)]);
  });
});
